/**
 * The bounds of the Excel and CSV endpoints (issue 15). Uploads are bounded
 * before a byte is parsed: exceljs reads a workbook into memory, and an
 * xlsx is a zip that may expand a thousandfold.
 */
export const DOCUMENT_LIMITS = {
  /** Largest upload accepted by POST /import/appraisal (413 beyond). A national template filled in is about 3 MB. */
  maxUploadBytes: 20 * 1024 * 1024,
  /** What the zip may expand to, all parts together (413 beyond): a zip bomb stops here, mid-inflation. */
  maxExpandedBytes: 100 * 1024 * 1024,
  /** Parts of the zip (an xlsx has about a dozen). */
  maxZipEntries: 1000,
  /** Rows of a sheet: one per unit of a kind, and no kind has 50,000 units (a national ranking has 12,000). */
  maxSheetRows: 50_000,
  /** Columns of the appraisal sheet: a framework has at most 2,000 nodes. */
  maxSheetColumns: 2_100,
  /** How many rows of a ranking one GraphQL page reads while the export streams. */
  pageSize: 100,
  /** Errors listed in one import answer; the count says how many there were in all. */
  maxErrorsListed: 1000,
  /** Changes listed in a dry run's answer; the counts cover them all. */
  maxChangesListed: 1000,
} as const;
