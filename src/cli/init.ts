// ns init: the init stage, for a process started with argv[0] other than "ns-init".
import { init } from "../init/index.ts";

export default async function initCommand(): Promise<number> {
  return await init();
}
