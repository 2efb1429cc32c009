/**
 * Small WGSL snippets shared by kernels.
 *
 * Conventions for every kernel in src/kernels:
 * - binding 0 is `var<uniform> p: Params` when the kernel takes parameters, then the storage
 *   buffers in the order the TypeScript side passes them;
 * - 1-D kernels use `@workgroup_size(256)` and are dispatched with `grid1d(n, 256)`, which
 *   folds more than 65,535 workgroups into a second dimension; `LINEAR_INDEX` recovers the index.
 */

/** WGSL entry-point arguments for a 1-D kernel. */
export const GRID_ARGS = '@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u';

/** Declares `let i: u32` for a 1-D kernel with workgroup size 256. */
export const LINEAR_INDEX = 'let i = gid.x + gid.y * nwg.x * 256u;';
