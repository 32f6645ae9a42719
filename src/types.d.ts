// Files embedded with `import path from "x.so" with { type: "file" }` import as their path.
declare module "*.so" {
  const path: string;
  export default path;
}
