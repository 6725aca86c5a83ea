/** The artifact bucket's prefix only the training pipelines' role may write: `training/<model id>/<execution id>/`. */
export const EVIDENCE_PREFIX = 'training/';
