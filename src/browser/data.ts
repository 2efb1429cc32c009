/**
 * FER data in the browser (`fer-gpu/browser`'s `data` namespace): the platform-free part of the
 * Node entry's (data/portable.ts) and the browser's decodeImage. Loading FER2013 from files (CSV,
 * folders) and the dataset checks are Node's.
 */
export * from '../data/portable.js';
export { decodeImage, type BrowserImageInput } from './image.js';
