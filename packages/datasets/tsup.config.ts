import { voxnasTsup } from '../../tsup.base';

// Two entries: the package (Node: datasets on disk, loaders) and `preparation` (browser-safe).
export default voxnasTsup({ entry: { index: 'src/index.ts', 'preparation/index': 'src/preparation.ts' } });
