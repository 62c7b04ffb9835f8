// Entry of the script-tag build: installs window.jingyun.
import { jingyun } from './web';

(window as any).jingyun = jingyun;
