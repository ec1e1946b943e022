// The build loads .css files as text (scripts/build.mjs: loader '.css': 'text'); they are applied as
// constructable stylesheets, which a strict CSP allows.
declare module '*.css' {
  const text: string;
  export default text;
}
