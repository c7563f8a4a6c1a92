/**
 * PURE: compute capability by product name. `-q -x` never reports it, but real drivers ≥ 510 answer
 * `--query-gpu=compute_cap`; the stand-in answers from this table (NVIDIA's CUDA GPUs list), most
 * specific names first.
 */
const BY_NAME: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(GH200|H200|H100|H800|H20)\b/, '9.0'],
  [/\b(L40S?|L4|L20|RTX 40\d\d|RTX \d+ Ada)\b/, '8.9'],
  [/\b(A100|A800|A30)\b/, '8.0'],
  [/\b(A10G?|A16|A2|A40|RTX 30\d\d|RTX A\d+)\b/, '8.6'],
  [/\b(T4|RTX 20\d\d|TITAN RTX|GTX 16\d\d|Quadro RTX \d+)\b/, '7.5'],
  [/\b(V100|TITAN V)\b/, '7.0'],
  [/\bP100\b/, '6.0'],
  [/\b(P40|P4|GTX 10\d\d|TITAN Xp|Quadro P\d+)\b/, '6.1'],
  [/\b(M60|M40|GTX TITAN X|GTX 9\d\d)\b/, '5.2'],
  [/\bK80\b/, '3.7'],
]

/** `9.0` for `NVIDIA H100 80GB HBM3`; `[N/A]` for a name the table does not know ("Graphics Device"). */
export function computeCapability(productName: string): string {
  return BY_NAME.find(([pattern]) => pattern.test(productName))?.[1] ?? '[N/A]'
}
