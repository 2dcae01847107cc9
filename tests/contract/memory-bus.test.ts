import { busContract } from './bus.contract.ts';

busContract('memory');
