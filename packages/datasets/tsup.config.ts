import { voxnasTsup } from '../../tsup.base';

// Three entries: the package (Node: datasets on disk, loaders), `preparation` and `phantom` (browser-safe).
export default voxnasTsup({ entry: { index: 'src/index.ts', 'preparation/index': 'src/preparation.ts', 'phantom/index': 'src/phantom-case.ts' } });
