/**
 * Datasheet numbers of the GPUs the score knows by name: memory bandwidth (decode speed) and dense
 * FP16 tensor throughput (prefill speed). Each entry cites where its numbers come from.
 *
 * Conventions, so entries compare fairly:
 * - `fp16Tflops` is DENSE (NVIDIA datasheets print the 2:4-sparsity figure first; we halve it).
 * - GeForce cards: FP16 tensor with FP32 accumulate (what PyTorch and llama.cpp kernels use), which
 *   NVIDIA's architecture whitepapers list separately from the doubled FP16-accumulate figure.
 * - Cards without tensor cores (Pascal, Maxwell, GTX 16xx): the best FP16 or FP32 rate the card
 *   really sustains; Pascal GeForce/Tesla P40 run FP16 at 1/64 rate, so their FP32 rate is used.
 */

/** One known GPU model. */
export interface GpuSpec {
  /** Display name used in the README table. */
  model: string
  /**
   * Matched against the normalised product name (upper case; `NVIDIA`, `GeForce`, `Tesla` and
   * punctuation removed; see `normaliseGpuName`). The first entry that matches wins, so more specific
   * patterns come first.
   */
  pattern: RegExp
  /** Only match when the board has at least / less than this much VRAM (A100 40GB vs 80GB). */
  minVramGiB?: number
  maxVramGiB?: number
  /** PCI device ids (hex, no vendor), for drivers that report names like "Graphics Device". */
  pciDeviceIds?: readonly string[]
  /** Peak memory bandwidth in GB/s. */
  bandwidthGBs: number
  /** Dense FP16 tensor TFLOPS (see the conventions above). */
  fp16Tflops: number
  /** Memory of the common variant, in GiB (for the README table; the score uses the measured VRAM). */
  vramGiB: number
  /** CUDA compute capability, used when an old driver cannot report it. */
  computeCapability: string
  /** Where the numbers come from. */
  source: string
}

const H100_DS = 'NVIDIA H100 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/h100/)'
const A100_DS = 'NVIDIA A100 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/a100/)'
const ADA_WP = 'NVIDIA Ada GPU architecture whitepaper v2.1, table 2 (FP16 tensor, FP32 accumulate)'
const AMPERE_WP = 'NVIDIA Ampere GA102 GPU architecture whitepaper, table 1 (FP16 tensor, FP32 accumulate)'
const TURING_WP = 'NVIDIA Turing GPU architecture whitepaper, table 1 (FP16 tensor, FP32 accumulate)'
const PASCAL_GEFORCE = 'NVIDIA GeForce GTX 10-series specifications (nvidia.com); FP32 rate (FP16 is 1/64)'

/** Ordered: the first matching entry wins. */
export const GPU_SPECS: readonly GpuSpec[] = [
  {
    model: 'H200',
    pattern: /\bH200\b/,
    bandwidthGBs: 4800,
    fp16Tflops: 989.5,
    vramGiB: 141,
    computeCapability: '9.0',
    source: 'NVIDIA H200 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/h200/), SXM',
  },
  {
    model: 'H100 NVL',
    pattern: /\bH100\b.*\bNVL\b/,
    bandwidthGBs: 3900,
    fp16Tflops: 835.5,
    vramGiB: 94,
    computeCapability: '9.0',
    source: `${H100_DS}, H100 NVL column`,
  },
  {
    model: 'H100 PCIe',
    pattern: /\bH100\b.*\bPCIE\b/,
    bandwidthGBs: 2000,
    fp16Tflops: 756.5,
    vramGiB: 80,
    computeCapability: '9.0',
    source: `${H100_DS}, H100 PCIe column`,
  },
  {
    // "NVIDIA H100 80GB HBM3" is how the SXM5 board names itself.
    model: 'H100 SXM',
    pattern: /\bH100\b/,
    pciDeviceIds: ['2330'],
    bandwidthGBs: 3350,
    fp16Tflops: 989.5,
    vramGiB: 80,
    computeCapability: '9.0',
    source: `${H100_DS}, H100 SXM column`,
  },
  {
    model: 'A100 80GB PCIe',
    pattern: /\bA100\b.*\bPCIE\b/,
    minVramGiB: 60,
    bandwidthGBs: 1935,
    fp16Tflops: 312,
    vramGiB: 80,
    computeCapability: '8.0',
    source: `${A100_DS}, A100 80GB PCIe column`,
  },
  {
    model: 'A100 40GB PCIe',
    pattern: /\bA100\b.*\bPCIE\b/,
    bandwidthGBs: 1555,
    fp16Tflops: 312,
    vramGiB: 40,
    computeCapability: '8.0',
    source: `${A100_DS}, A100 40GB PCIe column`,
  },
  {
    model: 'A100 80GB SXM',
    pattern: /\bA100\b/,
    minVramGiB: 60,
    pciDeviceIds: ['20B2'],
    bandwidthGBs: 2039,
    fp16Tflops: 312,
    vramGiB: 80,
    computeCapability: '8.0',
    source: `${A100_DS}, A100 80GB SXM column`,
  },
  {
    model: 'A100 40GB SXM',
    pattern: /\bA100\b/,
    bandwidthGBs: 1555,
    fp16Tflops: 312,
    vramGiB: 40,
    computeCapability: '8.0',
    source: `${A100_DS}, A100 40GB SXM column`,
  },
  {
    model: 'A30',
    pattern: /\bA30\b/,
    bandwidthGBs: 933,
    fp16Tflops: 165,
    vramGiB: 24,
    computeCapability: '8.0',
    source: 'NVIDIA A30 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/products/a30-gpu/)',
  },
  {
    model: 'L40S',
    pattern: /\bL40S\b/,
    bandwidthGBs: 864,
    fp16Tflops: 362,
    vramGiB: 48,
    computeCapability: '8.9',
    source: 'NVIDIA L40S datasheet (nvidia.com/en-us/data-center/l40s/): 733 TFLOPS with sparsity',
  },
  {
    model: 'L40',
    pattern: /\bL40\b/,
    bandwidthGBs: 864,
    fp16Tflops: 181,
    vramGiB: 48,
    computeCapability: '8.9',
    source: 'NVIDIA L40 datasheet (nvidia.com/en-us/data-center/l40/): 362 TFLOPS with sparsity',
  },
  {
    model: 'L4',
    pattern: /\bL4\b/,
    pciDeviceIds: ['27B8'],
    bandwidthGBs: 300,
    fp16Tflops: 121,
    vramGiB: 24,
    computeCapability: '8.9',
    source:
      'NVIDIA L4 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/l4/): 242 TFLOPS with sparsity',
  },
  {
    model: 'A40',
    pattern: /\bA40\b/,
    bandwidthGBs: 696,
    fp16Tflops: 149.7,
    vramGiB: 48,
    computeCapability: '8.6',
    source: 'NVIDIA A40 datasheet (nvidia.com/en-us/data-center/a40/): 299.4 TFLOPS with sparsity',
  },
  {
    // AWS's A10 variant: same GA102 and 24 GB GDDR6 at 600 GB/s, lower tensor clocks than the A10.
    model: 'A10G',
    pattern: /\bA10G\b/,
    pciDeviceIds: ['2237'],
    bandwidthGBs: 600,
    fp16Tflops: 70,
    vramGiB: 24,
    computeCapability: '8.6',
    source:
      'AWS EC2 G5 instance specifications (aws.amazon.com/ec2/instance-types/g5/), A10G 24 GB, 600 GB/s',
  },
  {
    model: 'A10',
    pattern: /\bA10\b/,
    pciDeviceIds: ['2236'],
    bandwidthGBs: 600,
    fp16Tflops: 125,
    vramGiB: 24,
    computeCapability: '8.6',
    source: 'NVIDIA A10 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/products/a10-gpu/)',
  },
  {
    model: 'T4',
    pattern: /\bT4\b/,
    pciDeviceIds: ['1EB8'],
    bandwidthGBs: 320,
    fp16Tflops: 65,
    vramGiB: 16,
    computeCapability: '7.5',
    source:
      'NVIDIA T4 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/tesla-t4/): 65 TFLOPS mixed precision',
  },
  {
    model: 'V100 PCIe',
    pattern: /\bV100\b.*\bPCIE\b/,
    bandwidthGBs: 900,
    fp16Tflops: 112,
    vramGiB: 32,
    computeCapability: '7.0',
    source: 'NVIDIA V100 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/v100/), PCIe column',
  },
  {
    model: 'V100',
    pattern: /\bV100/,
    bandwidthGBs: 900,
    fp16Tflops: 125,
    vramGiB: 32,
    computeCapability: '7.0',
    source: 'NVIDIA V100 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/v100/), SXM2 column',
  },
  {
    model: 'P100',
    pattern: /\bP100\b/,
    bandwidthGBs: 732,
    fp16Tflops: 18.7,
    vramGiB: 16,
    computeCapability: '6.0',
    source: 'NVIDIA Tesla P100 datasheet (nvidia.com/en-us/data-center/tesla-p100/), PCIe 16 GB FP16',
  },
  {
    model: 'P40',
    pattern: /\bP40\b/,
    bandwidthGBs: 346,
    fp16Tflops: 11.8,
    vramGiB: 24,
    computeCapability: '6.1',
    source: 'NVIDIA Tesla P40 datasheet (nvidia.com/en-us/data-center/tesla-p40/); FP32 rate, FP16 is 1/64',
  },
  {
    model: 'RTX 6000 Ada',
    pattern: /\bRTX 6000 ADA\b/,
    bandwidthGBs: 960,
    fp16Tflops: 364.2,
    vramGiB: 48,
    computeCapability: '8.9',
    source: 'NVIDIA RTX 6000 Ada Generation datasheet (nvidia.com/en-us/design-visualization/rtx-6000/)',
  },
  {
    model: 'RTX A6000',
    pattern: /\bRTX A6000\b/,
    bandwidthGBs: 768,
    fp16Tflops: 154.8,
    vramGiB: 48,
    computeCapability: '8.6',
    source:
      'NVIDIA RTX A6000 datasheet (nvidia.com/en-us/design-visualization/rtx-a6000/): 309.7 with sparsity',
  },
  {
    model: 'RTX 4090',
    pattern: /\bRTX 4090\b/,
    pciDeviceIds: ['2684'],
    bandwidthGBs: 1008,
    fp16Tflops: 165.2,
    vramGiB: 24,
    computeCapability: '8.9',
    source: ADA_WP,
  },
  {
    model: 'RTX 4080',
    pattern: /\bRTX 4080\b/,
    bandwidthGBs: 716.8,
    fp16Tflops: 97.5,
    vramGiB: 16,
    computeCapability: '8.9',
    source: ADA_WP,
  },
  {
    model: 'RTX 3090 Ti',
    pattern: /\bRTX 3090 TI\b/,
    bandwidthGBs: 1008,
    fp16Tflops: 80,
    vramGiB: 24,
    computeCapability: '8.6',
    source:
      'NVIDIA GeForce RTX 3090 Ti specifications (nvidia.com); tensor rate scaled from the GA102 whitepaper',
  },
  {
    model: 'RTX 3090',
    pattern: /\bRTX 3090\b/,
    pciDeviceIds: ['2204'],
    bandwidthGBs: 936,
    fp16Tflops: 71,
    vramGiB: 24,
    computeCapability: '8.6',
    source: AMPERE_WP,
  },
  {
    model: 'RTX 3080',
    pattern: /\bRTX 3080\b/,
    bandwidthGBs: 760,
    fp16Tflops: 59.5,
    vramGiB: 10,
    computeCapability: '8.6',
    source: AMPERE_WP,
  },
  {
    model: 'RTX 2080 Ti',
    pattern: /\bRTX 2080 TI\b/,
    pciDeviceIds: ['1E04', '1E07'],
    bandwidthGBs: 616,
    fp16Tflops: 53.8,
    vramGiB: 11,
    computeCapability: '7.5',
    source: TURING_WP,
  },
  {
    model: 'RTX 2080 SUPER',
    pattern: /\bRTX 2080 SUPER\b/,
    bandwidthGBs: 496,
    fp16Tflops: 44.6,
    vramGiB: 8,
    computeCapability: '7.5',
    source:
      'NVIDIA GeForce RTX 2080 SUPER specifications (nvidia.com); tensor rate per the Turing whitepaper',
  },
  {
    model: 'RTX 2080',
    pattern: /\bRTX 2080\b/,
    bandwidthGBs: 448,
    fp16Tflops: 40.3,
    vramGiB: 8,
    computeCapability: '7.5',
    source: TURING_WP,
  },
  {
    // No tensor cores; TU116 runs FP16 at twice its FP32 rate.
    model: 'GTX 1660 Ti',
    pattern: /\bGTX 1660 TI\b/,
    pciDeviceIds: ['2182'],
    bandwidthGBs: 288,
    fp16Tflops: 10.9,
    vramGiB: 6,
    computeCapability: '7.5',
    source: 'NVIDIA GeForce GTX 1660 Ti specifications (nvidia.com): 12 Gbps GDDR6, 192-bit; FP16 = 2x FP32',
  },
  {
    model: 'GTX 1660',
    pattern: /\bGTX 1660\b/,
    pciDeviceIds: ['2184'],
    bandwidthGBs: 192,
    fp16Tflops: 10.1,
    vramGiB: 6,
    computeCapability: '7.5',
    source: 'NVIDIA GeForce GTX 1660 specifications (nvidia.com): 8 Gbps GDDR5, 192-bit; FP16 = 2x FP32',
  },
  {
    model: 'GTX 1070',
    pattern: /\bGTX 1070\b/,
    pciDeviceIds: ['1B81'],
    bandwidthGBs: 256,
    fp16Tflops: 6.5,
    vramGiB: 8,
    computeCapability: '6.1',
    source: PASCAL_GEFORCE,
  },
  {
    model: 'TITAN X (Pascal)',
    pattern: /\bTITAN X PASCAL\b/,
    bandwidthGBs: 480,
    fp16Tflops: 11,
    vramGiB: 12,
    computeCapability: '6.1',
    source: PASCAL_GEFORCE,
  },
  {
    model: 'GTX TITAN X',
    pattern: /\bTITAN X\b/,
    bandwidthGBs: 336.5,
    fp16Tflops: 6.6,
    vramGiB: 12,
    computeCapability: '5.2',
    source: 'NVIDIA GeForce GTX TITAN X (Maxwell) specifications (nvidia.com); FP32 rate, no fast FP16',
  },
  {
    model: 'Quadro P400',
    pattern: /\bP400\b/,
    bandwidthGBs: 32,
    fp16Tflops: 0.64,
    vramGiB: 2,
    computeCapability: '6.1',
    source: 'NVIDIA Quadro P400 datasheet (nvidia.com): 2 GB GDDR5, 32 GB/s, 0.64 TFLOPS FP32',
  },
]

/** `NVIDIA GeForce RTX 2080 Ti` and `GeForce RTX 2080 Ti` both become `RTX 2080 TI`. */
export function normaliseGpuName(name: string): string {
  return name
    .toUpperCase()
    .replace(/[-_(),/]/g, ' ')
    .replace(/\b(NVIDIA|GEFORCE|TESLA|QUADRO)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** What identifies a board: its product name, VRAM and, where reported, PCI device id. */
export interface GpuIdentity {
  name: string
  vramTotalMiB: number
  pciDeviceId?: string | null
}

/** The table entry for a board, or undefined when the model is unknown. Name first, then PCI id. */
export function findGpuSpec(gpu: GpuIdentity): GpuSpec | undefined {
  const name = normaliseGpuName(gpu.name)
  const vramGiB = gpu.vramTotalMiB / 1024
  const byName = GPU_SPECS.find(
    (spec) =>
      spec.pattern.test(name) &&
      (spec.minVramGiB === undefined || vramGiB >= spec.minVramGiB) &&
      (spec.maxVramGiB === undefined || vramGiB < spec.maxVramGiB),
  )
  if (byName !== undefined) return byName
  const pciDeviceId = gpu.pciDeviceId?.toUpperCase()
  if (pciDeviceId === undefined) return undefined
  return GPU_SPECS.find((spec) => spec.pciDeviceIds?.includes(pciDeviceId))
}
