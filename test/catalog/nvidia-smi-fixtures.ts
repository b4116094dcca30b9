/**
 * nvidia-smi output in the exact formats the driver prints, for parser and CLI tests.
 */

/** `--query-gpu=index,name,uuid,memory.total,memory.free,compute_cap,driver_version --format=csv,noheader,nounits` on a two-GPU box. */
export const QUERY_TWO_GPUS = [
  '0, NVIDIA H100 80GB HBM3, GPU-5e2ad3b6-8f1c-4b3a-9d0e-2c1f7a8b9c0d, 81559, 81004, 9.0, 550.54.15',
  '1, NVIDIA L4, GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9, 23034, [N/A], 8.9, 550.54.15',
  '',
].join('\n');

/** The banner of plain `nvidia-smi`. */
export const PLAIN_BANNER = `Tue Mar 12 10:15:42 2024
+---------------------------------------------------------------------------------------+
| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15    CUDA Version: 12.4     |
|-----------------------------------------+----------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp   Perf          Pwr:Usage/Cap |         Memory-Usage | GPU-Util  Compute M. |
|=========================================+======================+======================|
|   0  NVIDIA H100 80GB HBM3          On  | 00000000:18:00.0 Off |                    0 |
| N/A   31C    P0              70W / 700W |    555MiB / 81559MiB |      0%      Default |
+-----------------------------------------+----------------------+----------------------+
`;

/** What a driver older than compute_cap support prints for the full query. */
export const OLD_DRIVER_ERROR = 'Field "compute_cap" is not a valid field to query.\n\n';

/** What nvidia-smi prints when the kernel driver is not loaded. */
export const DRIVER_FAILURE =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n";
