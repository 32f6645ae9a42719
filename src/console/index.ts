// The terminal of a container, on the launcher's side: relayed to the
// caller's terminal (foreground), or handed to an OCI client's console socket.
export { CallerTerminal } from "./caller.ts";
export { TerminalRelay, type RelayOptions } from "./relay.ts";
export { ConsoleSocket, receiveConsole, sendToConsoleSocket } from "./socket.ts";
export { chownPeerFromHost, getWindowSize, openPty, setWindowSize, type Pty } from "./pty.ts";
