export { InvalidArgumentError } from '@voxnas/core';
