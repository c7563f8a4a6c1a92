import { fileURLToPath } from 'node:url'

/** The repository root (packages/docs-figures/src → ../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** Published benchmark results: one JSON file per benchmark. */
export const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url))
/** One file per block; the file name is the block's name. */
export const BLOCKS_DIR = fileURLToPath(new URL('./blocks/', import.meta.url))
