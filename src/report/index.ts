/** The report generator's public API: the input model and the folder writer. */
export type {
  ParamValue, PlotRequest, ReportDistribution, ReportDocument, ReportMetricInfo, ReportParameter,
  ReportRun, ReportSeriesPoint, ReportStudy,
} from './model.js';
export { writeReport, type WriteReportOptions, type WrittenReport } from './write-report.js';
