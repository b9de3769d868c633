import base from '../../tsup.config.base';

// shims: the CJS build gets an import.meta.url, which the addon loader resolves from.
export default { ...base, shims: true };
