import { bellmanPackage } from '../../tsup.shared';

export default bellmanPackage({ index: 'src/index.ts', node: 'src/node.ts' });
