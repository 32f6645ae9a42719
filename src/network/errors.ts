import { UserError } from "../errors.ts";

/**
 * A network option that is invalid or could not be carried out. The message
 * is one line: the option as the user gave it, then what is wrong, as in
 * `--network "veth:bridge=br9": bridge "br9" not found in the host network namespace`.
 */
export class NetworkError extends UserError {
  override name = "NetworkError";
  constructor(
    /** The option, such as `--network "veth:bridge=br0"` or `linux.netDevices["eth1"]`. */
    readonly option: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${option}: ${detail}`, 1, options);
  }
}
