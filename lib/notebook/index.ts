/**
 * Notebook helpers for the tslab kernel:
 *   await show(fig)        one output: Plotly JSON + static SVG + HTML + text
 *   table(rows | df)       HTML + text table
 *   markdown(text)         rendered Markdown
 *   reportFacts({…})       the headline figures, data files and calibration the report states
 * Outside a kernel (scripts, tests) displays go to stdout as text, or to `setDisplaySink`.
 */
export { show, figureBundle, figureHtml, figureText, scriptJson, stabiliseSvgIds, PLOTLY_MIME, type ShowOptions } from "./show";
export { table, tableBundle, markdown, html, formatCell, toRows, isDataFrameLike, type Row, type DataFrameLike, type TableOptions } from "./table";
export { displayBundle, setDisplaySink, inKernel, type MimeBundle, type DisplayMessage } from "./display";
export { renderSvg, closeRenderer, chromiumPath, plotlyBundlePath, CHROMIUM_ARGS, type RenderOptions } from "./render";
export { reportFacts, REPORT_MIME, type ReportFacts } from "./provenance";
export { explainedRows, type ExplainedRow } from "./explain-table";
