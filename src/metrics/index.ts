/**
 * Classification metrics with scikit-learn semantics (checked against sklearn 1.2.1 golden
 * vectors), a classification report, and confusion-matrix / per-class bar plots as PNG or SVG.
 */
export * from './scores.js';
export {
  renderConfusionMatrix,
  renderPerClassBars,
  renderFaceGrid,
  writePlot,
  type BarsPlotOptions,
  type ConfusionPlotOptions,
  type FaceGridOptions,
  type GridFace,
  type PlotFormat,
  type PlotSpec,
} from './plot.js';
