/** jpeg-js's decoder alone (the package's index also loads its encoder, which needs Buffer). */
declare module 'jpeg-js/lib/decoder.js' {
  import { decode } from 'jpeg-js';
  export default decode;
}
