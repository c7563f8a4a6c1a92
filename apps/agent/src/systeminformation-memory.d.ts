/**
 * Types for the one systeminformation module the agent loads. Importing the package root loads all
 * of systeminformation's ~30 modules (about 11 MB of RSS, measured); `lib/memory.js` alone costs ~3 MB,
 * which keeps the agent inside its 80 MB budget.
 */
declare module 'systeminformation/lib/memory.js' {
  import type { Systeminformation } from 'systeminformation'
  export function mem(): Promise<Systeminformation.MemData>
}
