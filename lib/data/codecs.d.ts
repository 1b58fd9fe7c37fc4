// Types for the npm: specifiers of image.ts under tsc, which maps them (for
// Bun's sake) to the packages' JavaScript: the types are the packages' own.
declare module "npm:fast-png@8.0.0" {
  export * from "fast-png";
}
declare module "npm:jpeg-js@0.4.4" {
  import jpeg from "jpeg-js";
  export default jpeg;
}
