// Entry of the CommonJS build for mini-programs: require() returns the client itself.
import { MiniClient, jingyun } from './miniprogram';

declare const module: { exports: unknown };

(jingyun as any).MiniClient = MiniClient;
module.exports = jingyun;
