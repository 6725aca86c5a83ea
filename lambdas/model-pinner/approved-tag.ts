/** The object tag that marks a model data version approved: only the model pinner sets it, and prod reads only versions carrying it. */
export const APPROVED_TAG = 'estate-approved';
