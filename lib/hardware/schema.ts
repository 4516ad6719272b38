import { z } from "zod";
import { Fact } from "../core/explain";

export const HardwareProfile = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, "lower-case id such as 'b200' or 'h100-sxm'"),
    name: z.string(),
    vendor: z.enum(["NVIDIA", "AMD", "Intel"]),
    /** Module form: SXM/OAM boards sit in a scale-up domain; PCIe cards talk over PCIe. */
    form_factor: z.enum(["SXM", "OAM", "PCIe", "Superchip"]),
    /**
     * The instruction-set target engines compile their kernels for: CUDA compute capability (sm_90 = Hopper
     * GH100; NVIDIA "CUDA GPUs" list, developer.nvidia.com/cuda-gpus) or the AMD gfx target (ROCm
     * "GPU hardware specifications"). Chips with one target run the same kernels, so a fitted efficiency
     * factor (a fraction of the chip's own peak) carries over between them and to no other chip.
     */
    isa: z.string().regex(/^(sm_\d+|gfx\d+|gaudi\d+)$/, "sm_NN, gfxNNN or gaudiN"),
    /** Names benchmark data and users use for this chip (case-insensitive match). */
    aliases: z.array(z.string()),
    /** Dense (not sparse) tensor-core peak per dtype, TFLOPS (or TOPS for int). Missing = unsupported. */
    dense_tflops: z
      .object({ bf16: Fact, fp16: Fact.optional(), fp8: Fact.optional(), fp4: Fact.optional(), int8: Fact.optional() })
      .strict(),
    memory: z
      .object({
        capacity_gb: Fact,
        bandwidth_tbps: Fact,
        /**
         * Device memory as the driver reports it (nvidia-smi / rocminfo total, MiB). It sits below the
         * marketing capacity on most chips (H100 80GB: 81559 MiB = 85.5 GB, but B200 "180 GB": 183359 MiB).
         * Optional: `deviceMemoryBytes` falls back to capacity_gb and says so.
         */
        driver_total_mib: Fact.optional(),
      })
      .strict(),
    scale_up: z
      .object({
        technology: z.string(),
        bandwidth_gbps_unidir: Fact,
        latency_us: Fact,
        domain_gpus: Fact,
      })
      .strict(),
    scale_out: z.object({ bandwidth_gbps_unidir: Fact, latency_us: Fact }).strict(),
    /** GPUs in one server / compute tray, where that is smaller than the scale-up domain (GB200 NVL72: 4 per tray). */
    node_gpus: Fact.optional(),
    power_w: Fact,
    cost_per_hour_usd: Fact,
    /** Directory name of measured kernel tables for this chip under data/kernels, if any. */
    kernel_tables: z.string().optional(),
    notes: z.string().optional(),
  })
  .strict();
export type HardwareProfile = z.infer<typeof HardwareProfile>;

/** A system: `chips_per_domain` chips in each scale-up domain, `domains` domains. */
export interface SystemSpec {
  chip: HardwareProfile;
  chipsPerDomain: number;
  domains: number;
}
