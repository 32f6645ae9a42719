// rtnetlink client: one socket, links, addresses and routes. See each module.
export * from "./address.ts";
export * from "./constants.ts";
export * from "./ip.ts";
export * from "./link.ts";
export * from "./message.ts";
export * from "./netns.ts";
export * from "./route.ts";
export * from "./socket.ts";
