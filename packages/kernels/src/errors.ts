export { InvalidArgumentError } from '@voxnas/volume';
