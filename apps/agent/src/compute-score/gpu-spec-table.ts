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

const HGX_PAGE = 'NVIDIA HGX platform page, per-GPU figures (nvidia.com/en-us/data-center/hgx/)'
const GB200_PAGE = 'NVIDIA GB200 NVL72 page, per-GPU figures (nvidia.com/en-us/data-center/gb200-nvl72/)'
const H200_DS = 'NVIDIA H200 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/h200/)'
const GH200_DS =
  'NVIDIA GH200 Grace Hopper Superchip datasheet (nvidia.com/en-us/data-center/grace-hopper-superchip/)'
const RTX_PRO_6000_DS =
  'NVIDIA RTX PRO 6000 Blackwell datasheets (nvidia.com/en-us/products/workstations/professional-desktop-gpus/rtx-pro-6000/ and /data-center/rtx-pro-6000-blackwell-server-edition/); dense FP16 = AI TOPS (FP4, sparse) / 8'
const BLACKWELL_WP =
  'NVIDIA RTX Blackwell GPU architecture whitepaper v1.0, appendix A (FP16 tensor, FP32 accumulate)'
const ADA_SPECS =
  'NVIDIA GeForce RTX 40 series specifications (nvidia.com) and Ada whitepaper v2.1 appendix (FP16 tensor, FP32 accumulate)'
const AMPERE_SPECS =
  'NVIDIA GeForce RTX 30 series specifications (nvidia.com) and GA10x whitepaper appendix (FP16 tensor, FP32 accumulate)'
const RTX_A_DS =
  'NVIDIA RTX A-series datasheets (nvidia.com/en-us/design-visualization/); dense = printed sparse tensor TFLOPS / 2'

/** Ordered: the first matching entry wins. */
export const GPU_SPECS: readonly GpuSpec[] = [
  {
    model: 'GB200',
    pattern: /\bGB200\b/,
    bandwidthGBs: 8000,
    fp16Tflops: 2500,
    vramGiB: 186,
    computeCapability: '10.0',
    source: `${GB200_PAGE}: 186 GB HBM3e, 8 TB/s, FP16 5 PFLOPS sparse`,
  },
  {
    model: 'B300',
    pattern: /\bB300\b/,
    bandwidthGBs: 8000,
    fp16Tflops: 2250,
    vramGiB: 270,
    computeCapability: '10.3',
    source: `${HGX_PAGE}, HGX B300: 288 GB HBM3e, 8 TB/s, FP16 4.5 PFLOPS sparse`,
  },
  {
    model: 'B200',
    pattern: /\bB200\b/,
    bandwidthGBs: 8000,
    fp16Tflops: 2250,
    vramGiB: 180,
    computeCapability: '10.0',
    source: `${HGX_PAGE}, HGX B200: 180 GB HBM3e, 8 TB/s, FP16 4.5 PFLOPS sparse`,
  },
  {
    model: 'B100',
    pattern: /\bB100\b/,
    bandwidthGBs: 8000,
    fp16Tflops: 1750,
    vramGiB: 180,
    computeCapability: '10.0',
    source: 'NVIDIA Blackwell architecture technical brief (2024), HGX B100: 8 TB/s, FP16 3.5 PFLOPS sparse',
  },
  {
    model: 'GH200 144GB',
    pattern: /\bGH200\b/,
    minVramGiB: 120,
    bandwidthGBs: 4900,
    fp16Tflops: 989.5,
    vramGiB: 144,
    computeCapability: '9.0',
    source: `${GH200_DS}, HBM3e version: 144 GB, 4.9 TB/s`,
  },
  {
    model: 'GH200 96GB',
    pattern: /\bGH200\b/,
    bandwidthGBs: 4000,
    fp16Tflops: 989.5,
    vramGiB: 96,
    computeCapability: '9.0',
    source: `${GH200_DS}, HBM3 version: 96 GB, 4 TB/s`,
  },
  {
    model: 'H200 NVL',
    pattern: /\bH200\b.*\bNVL\b/,
    bandwidthGBs: 4800,
    fp16Tflops: 835.5,
    vramGiB: 141,
    computeCapability: '9.0',
    source: `${H200_DS}, H200 NVL column`,
  },
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
    model: 'H20',
    pattern: /\bH20\b/,
    bandwidthGBs: 4000,
    fp16Tflops: 148,
    vramGiB: 96,
    computeCapability: '9.0',
    source: 'NVIDIA HGX H20 product brief (2024): 96 GB HBM3, 4.0 TB/s, FP16 148 TFLOPS dense',
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
    model: 'L20',
    pattern: /\bL20\b/,
    bandwidthGBs: 864,
    fp16Tflops: 119.5,
    vramGiB: 48,
    computeCapability: '8.9',
    source: 'NVIDIA L20 product brief (2023): 48 GB GDDR6, 864 GB/s, FP16 239 TFLOPS sparse',
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
    model: 'RTX PRO 6000 Blackwell Max-Q',
    pattern: /\bRTX PRO 6000\b.*\bMAX Q\b/,
    bandwidthGBs: 1792,
    fp16Tflops: 439,
    vramGiB: 96,
    computeCapability: '12.0',
    source: `${RTX_PRO_6000_DS}: Max-Q Workstation Edition, 1 792 GB/s, 3 511 AI TOPS`,
  },
  {
    model: 'RTX PRO 6000 Blackwell Server',
    pattern: /\bRTX PRO 6000\b.*\bSERVER\b/,
    bandwidthGBs: 1597,
    fp16Tflops: 470,
    vramGiB: 96,
    computeCapability: '12.0',
    source: `${RTX_PRO_6000_DS}: Server Edition, 1 597 GB/s, 3 752 AI TOPS`,
  },
  {
    model: 'RTX PRO 6000 Blackwell',
    pattern: /\bRTX PRO 6000\b/,
    bandwidthGBs: 1792,
    fp16Tflops: 500,
    vramGiB: 96,
    computeCapability: '12.0',
    source: `${RTX_PRO_6000_DS}: Workstation Edition, 1 792 GB/s, 4 000 AI TOPS`,
  },
  {
    model: 'RTX 5090',
    pattern: /\bRTX 5090\b/,
    bandwidthGBs: 1792,
    fp16Tflops: 209.5,
    vramGiB: 32,
    computeCapability: '12.0',
    source: `${BLACKWELL_WP}: 32 GB GDDR7, 1 792 GB/s`,
  },
  {
    model: 'RTX 5080',
    pattern: /\bRTX 5080\b/,
    bandwidthGBs: 960,
    fp16Tflops: 112.6,
    vramGiB: 16,
    computeCapability: '12.0',
    source: `${BLACKWELL_WP}: 16 GB GDDR7, 960 GB/s`,
  },
  {
    model: 'RTX 5070 Ti',
    pattern: /\bRTX 5070 TI\b/,
    bandwidthGBs: 896,
    fp16Tflops: 87.9,
    vramGiB: 16,
    computeCapability: '12.0',
    source: `${BLACKWELL_WP}: 16 GB GDDR7, 896 GB/s`,
  },
  {
    model: 'RTX 5070',
    pattern: /\bRTX 5070\b/,
    bandwidthGBs: 672,
    fp16Tflops: 61.7,
    vramGiB: 12,
    computeCapability: '12.0',
    source: `${BLACKWELL_WP}: 12 GB GDDR7, 672 GB/s`,
  },
  {
    model: 'RTX 5060 Ti',
    pattern: /\bRTX 5060 TI\b/,
    bandwidthGBs: 448,
    fp16Tflops: 47.4,
    vramGiB: 16,
    computeCapability: '12.0',
    source: `${BLACKWELL_WP}: 8 or 16 GB GDDR7, 448 GB/s`,
  },
  {
    model: 'RTX 5060',
    pattern: /\bRTX 5060\b/,
    bandwidthGBs: 448,
    fp16Tflops: 38.3,
    vramGiB: 8,
    computeCapability: '12.0',
    source: `${BLACKWELL_WP}: 8 GB GDDR7, 448 GB/s`,
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
    model: 'RTX A5000',
    pattern: /\bRTX A5000\b/,
    bandwidthGBs: 768,
    fp16Tflops: 111.1,
    vramGiB: 24,
    computeCapability: '8.6',
    source: `${RTX_A_DS}: 24 GB GDDR6, 768 GB/s, 222.2 TFLOPS tensor`,
  },
  {
    model: 'RTX A4500',
    pattern: /\bRTX A4500\b/,
    bandwidthGBs: 640,
    fp16Tflops: 94.6,
    vramGiB: 20,
    computeCapability: '8.6',
    source: `${RTX_A_DS}: 20 GB GDDR6, 640 GB/s, 189.2 TFLOPS tensor`,
  },
  {
    model: 'RTX A4000',
    pattern: /\bRTX A4000\b/,
    bandwidthGBs: 448,
    fp16Tflops: 76.7,
    vramGiB: 16,
    computeCapability: '8.6',
    source: `${RTX_A_DS}: 16 GB GDDR6, 448 GB/s, 153.4 TFLOPS tensor`,
  },
  {
    model: 'RTX A2000',
    pattern: /\bRTX A2000\b/,
    bandwidthGBs: 288,
    fp16Tflops: 32,
    vramGiB: 12,
    computeCapability: '8.6',
    source: `${RTX_A_DS}: 6 or 12 GB GDDR6, 288 GB/s, 63.9 TFLOPS tensor`,
  },
  {
    model: 'A16',
    pattern: /\bA16\b/,
    bandwidthGBs: 200,
    fp16Tflops: 18,
    vramGiB: 16,
    computeCapability: '8.6',
    source:
      'NVIDIA A16 datasheet (nvidia.com/en-us/data-center/products/a16-gpu/), per GPU: 16 GB, 200 GB/s, 35.9 TFLOPS FP16 sparse',
  },
  {
    model: 'A2',
    pattern: /\bA2\b/,
    bandwidthGBs: 200,
    fp16Tflops: 18,
    vramGiB: 16,
    computeCapability: '8.6',
    source:
      'NVIDIA A2 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/products/a2/): 16 GB, 200 GB/s, 36 TFLOPS FP16 sparse',
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
    model: 'RTX 4080 SUPER',
    pattern: /\bRTX 4080 SUPER\b/,
    bandwidthGBs: 736,
    fp16Tflops: 104.4,
    vramGiB: 16,
    computeCapability: '8.9',
    source: `${ADA_SPECS}: 16 GB GDDR6X, 736 GB/s`,
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
    model: 'RTX 4070 Ti SUPER',
    pattern: /\bRTX 4070 TI SUPER\b/,
    bandwidthGBs: 672,
    fp16Tflops: 88.2,
    vramGiB: 16,
    computeCapability: '8.9',
    source: `${ADA_SPECS}: 16 GB GDDR6X, 672 GB/s`,
  },
  {
    model: 'RTX 4070 Ti',
    pattern: /\bRTX 4070 TI\b/,
    bandwidthGBs: 504,
    fp16Tflops: 80.2,
    vramGiB: 12,
    computeCapability: '8.9',
    source: `${ADA_SPECS}: 12 GB GDDR6X, 504 GB/s`,
  },
  {
    model: 'RTX 4070 SUPER',
    pattern: /\bRTX 4070 SUPER\b/,
    bandwidthGBs: 504,
    fp16Tflops: 71,
    vramGiB: 12,
    computeCapability: '8.9',
    source: `${ADA_SPECS}: 12 GB GDDR6X, 504 GB/s`,
  },
  {
    model: 'RTX 4070',
    pattern: /\bRTX 4070\b/,
    bandwidthGBs: 504,
    fp16Tflops: 58.3,
    vramGiB: 12,
    computeCapability: '8.9',
    source: `${ADA_SPECS}: 12 GB GDDR6X, 504 GB/s`,
  },
  {
    model: 'RTX 4060 Ti',
    pattern: /\bRTX 4060 TI\b/,
    bandwidthGBs: 288,
    fp16Tflops: 44.1,
    vramGiB: 8,
    computeCapability: '8.9',
    source: `${ADA_SPECS}: 8 or 16 GB GDDR6, 288 GB/s`,
  },
  {
    model: 'RTX 4060',
    pattern: /\bRTX 4060\b/,
    bandwidthGBs: 272,
    fp16Tflops: 30.1,
    vramGiB: 8,
    computeCapability: '8.9',
    source: `${ADA_SPECS}: 8 GB GDDR6, 272 GB/s`,
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
    model: 'RTX 3080 Ti',
    pattern: /\bRTX 3080 TI\b/,
    bandwidthGBs: 912,
    fp16Tflops: 68.2,
    vramGiB: 12,
    computeCapability: '8.6',
    source: `${AMPERE_SPECS}: 12 GB GDDR6X, 912 GB/s`,
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
    model: 'RTX 3070 Ti',
    pattern: /\bRTX 3070 TI\b/,
    bandwidthGBs: 608.3,
    fp16Tflops: 43.5,
    vramGiB: 8,
    computeCapability: '8.6',
    source: `${AMPERE_SPECS}: 8 GB GDDR6X, 608 GB/s`,
  },
  {
    model: 'RTX 3070',
    pattern: /\bRTX 3070\b/,
    bandwidthGBs: 448,
    fp16Tflops: 40.6,
    vramGiB: 8,
    computeCapability: '8.6',
    source: `${AMPERE_SPECS}: 8 GB GDDR6, 448 GB/s`,
  },
  {
    model: 'RTX 3060 Ti',
    pattern: /\bRTX 3060 TI\b/,
    bandwidthGBs: 448,
    fp16Tflops: 32.4,
    vramGiB: 8,
    computeCapability: '8.6',
    source: `${AMPERE_SPECS}: 8 GB GDDR6, 448 GB/s`,
  },
  {
    model: 'RTX 3060',
    pattern: /\bRTX 3060\b/,
    bandwidthGBs: 360,
    fp16Tflops: 25.6,
    vramGiB: 12,
    computeCapability: '8.6',
    source: `${AMPERE_SPECS}: 12 GB GDDR6, 360 GB/s`,
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
