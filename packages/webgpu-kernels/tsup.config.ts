import { voxnasTsup } from '../../tsup.base';

export default voxnasTsup();
