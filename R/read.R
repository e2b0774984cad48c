#' Read a survey export (CSV) strictly and fast
#'
#' Reads a delimited text file exported by a survey platform or a
#' spreadsheet into a data frame. The file is streamed through the C
#' library libcsv in blocks; the delimiter, decimal mark, encoding and
#' extra header rows of Qualtrics exports are detected from the file, and
#' every problem is reported with the file name, line and column.
#'
#' @section Detection:
#' * **Delimiter**: comma, semicolon or tab, whichever appears in the
#'   header line and the same number of times on most of the following
#'   lines (quoted text ignored).
#' * **Decimal mark**: a comma when the delimiter is a semicolon (the
#'   convention of French and German spreadsheets), a point otherwise.
#' * **Encoding**: a UTF-8 byte-order mark means UTF-8, and a UTF-16 one
#'   (Excel's "Unicode text" export) UTF-16. Otherwise the encoding is
#'   decided on the evidence of the whole file: it is UTF-8 when every byte
#'   is valid UTF-8, or when its values with valid multi-byte UTF-8
#'   characters are at least as many as those with invalid bytes; the
#'   invalid bytes are then kept as `<xx>` escapes and a warning of class
#'   `panelattrition_encoding_warning` gives their count and first lines.
#'   Otherwise the file is Windows-1252 (when it has any of the bytes
#'   0x80-0x9F, where Windows puts curly quotes, the euro sign and the oe
#'   ligature) or Latin-1 (ISO-8859-1). Strings are returned in UTF-8.
#' * **Compression**: a gzip-compressed file (`.gz`) is expanded first.
#' * **Qualtrics exports** have the column names, then a row of question
#'   texts, then a row of `{"ImportId":...}` tags. When every field of the
#'   third row is such a tag, and the two rows are the records right after
#'   the names, both rows are set aside: the question texts become the
#'   `labels` attribute (a named character vector, column name to question
#'   text) and data start on the fourth row. Attribute `header_lines` says
#'   which lines were taken as header lines.
#'
#' @section Types:
#' Each column gets the narrowest type that every non-missing value fits:
#' logical (`TRUE`, `FALSE`, `T`, `F`, `true`, `false`, `True`, `False`),
#' integer (32-bit; larger whole numbers become double), double (with the
#' decimal mark in use, exponents, `Inf`, `NaN`), or character. Numbers
#' written with leading zeros, such as `007`, are identifiers and stay
#' character, and so do whole numbers with more than 15 digits that a
#' double cannot hold exactly (`12345678901234567891`), so that distinct
#' identifiers never become one number. A column with no values at all is
#' logical. `col_types` overrides the inference for named columns, named
#' as in the result (an empty name is `V<column number>`, a repeated one
#' gets a suffix such as `a_1`).
#'
#' @section Problems:
#' With `strict = TRUE` (the default) the first problem stops reading with
#' an error of class `panelattrition_csv_error` (which inherits from
#' `panelattrition_error`) whose fields `file`, `line` and `column` locate
#' it: a row with a different number of fields from the header, a quoted
#' field never closed, bytes that are not valid in the declared encoding,
#' or a value that cannot be read as the type `col_types` gives its column.
#' With `strict = FALSE` reading goes on, a warning is given, and the
#' problems are listed in the `problems` attribute, a data frame with
#' columns `row` (row of the result, `NA` for dropped rows), `line` (line
#' of the file where the record starts), `column`, `expected`, `actual` and
#' `action` (`"row dropped"`, `"set to NA"` or `"quote read as text"`);
#' text that is not valid
#' UTF-8 is shown there with `<xx>` escapes. Quoted fields follow RFC 4180
#' (delimiters, doubled quotes and line breaks inside quotes are data); a
#' quote inside an unquoted field (`ab"c`) is text. A record is damaged
#' when text follows the closing quote of a field (`"ab"c`, or a stray
#' quote that the opening quote of a later field seems to close), when a
#' quote is never closed, or when a record over several lines has the
#' wrong number of fields: strictly that is an error of class
#' `panelattrition_csv_quote_error` (or `..._ragged_error`) at the line
#' where the record starts; leniently the record is dropped and reported
#' at that line, and reading resumes on the next line, so that only the
#' damaged record is lost.
#'
#' A stray quote can also be closed by another one lines later (`2,"Bob,4`
#' on one line, `7,n7",7` on a later one), making one record of the right
#' width whose quoted field swallows the lines between. So a quoted field
#' that spans lines is taken for a stray quote when every line it spans,
#' read with its quotes as text, is a record of the header's width by
#' itself (and the field holds no other quote, has no blank line, and the
#' file has at least two columns). Leniently each of those lines is then
#' read as a record, the two quotes kept as text in their values (`"Bob`,
#' `n7"`), and the two records holding them are reported with `expected`
#' `"stray quote"` and `action` `"quote read as text"`; strictly it is an
#' error of class `panelattrition_csv_quote_error` at the line where the
#' quote opens. A free-text answer over several lines (whose lines are not
#' each a full record) stays one value.
#'
#' No row is ever lost without a trace: the rows of the result plus the
#' dropped rows equal the records of the file (attribute `records`). Only
#' regular files are read: a pipe or device is an error of class
#' `panelattrition_csv_file_error`.
#'
#' @section Threads:
#' Large files are parsed on several threads at once: as many as
#' `getOption("panelattrition.threads")` says, 2 when the option is not
#' set, and never more than the machine has. The result is the same with
#' any number of threads.
#'
#' @param file Path to the file (which may be gzip-compressed).
#' @param delim Field delimiter, one of `","`, `";"`, `"\t"`; `NULL`
#'   (default) detects it.
#' @param decimal Decimal mark, `"."` or `","`; `NULL` (default) uses a
#'   comma when the delimiter is a semicolon and a point otherwise.
#' @param encoding `"UTF-8"`, `"latin1"` (also spelled `"Latin-1"` or
#'   `"ISO-8859-1"`) or `"windows-1252"` (or `"cp1252"`); `NULL` (default)
#'   detects it. A UTF-16 byte-order mark overrides it.
#' @param header `"auto"` (default) detects Qualtrics exports; `"single"`
#'   takes only the first line as header; `"qualtrics"` always sets aside
#'   the two rows after the names.
#' @param na Strings that mean a missing value (compared exactly).
#' @param col_types Optional named character vector of column types:
#'   `"logical"`, `"integer"`, `"double"` (or `"numeric"`), `"character"`
#'   or `"factor"`; names are column names as the result shows them.
#' @param strict `TRUE` (default) to stop at the first problem; `FALSE` to
#'   report problems in the `problems` attribute and go on.
#'
#' @return A data frame. Attributes: `problems` (when `strict = FALSE` and
#'   there were problems), `labels` (Qualtrics exports), and `records`,
#'   `delim`, `decimal`, `encoding` (`"UTF-8"`, `"latin1"`,
#'   `"windows-1252"`, `"UTF-16LE"` or `"UTF-16BE"`) and `header_lines`
#'   recording what was read and detected.
#' @seealso [read_waves()] to read one export per wave into a panel.
#' @export
#' @examples
#' path <- system.file("extdata", "wave1.csv", package = "panelattrition")
#' t1 <- read_survey(path)
#' str(t1)
#'
#' # a semicolon-delimited export with decimal commas
#' path2 <- system.file("extdata", "wave2.csv", package = "panelattrition")
#' t2 <- read_survey(path2)
#' attr(t2, "delim")
#' summary(t2$self_efficacy)
read_survey <- function(file, delim = NULL, decimal = NULL, encoding = NULL,
                        header = c("auto", "single", "qualtrics"),
                        na = c("", "NA"), col_types = NULL, strict = TRUE) {
  check_required("file")
  read_delimited(file, delim = delim, decimal = decimal, encoding = encoding,
                 header = header, na = na, col_types = col_types,
                 strict = strict)
}

# read_survey() itself; with `row_lines = TRUE` the result also carries the
# file line where each row starts (attribute "row_lines"), which
# read_waves() uses to say where a dropped row was.
read_delimited <- function(file, delim = NULL, decimal = NULL,
                           encoding = NULL,
                           header = c("auto", "single", "qualtrics"),
                           na = c("", "NA"), col_types = NULL, strict = TRUE,
                           row_lines = FALSE) {
  check_string(file, "file")
  check_flag(strict, "strict")
  if (!file.exists(file) || dir.exists(file)) {
    csv_error(file, sprintf("the file does not exist%s.",
                            if (dir.exists(file)) " (it is a directory)" else ""),
              kind = "file")
  }
  if (!.Call(C_file_regular, normalizePath(file))) {
    csv_error(file, paste("it is not a regular file; a pipe, device or",
                          "socket cannot be read (copy it to a file first)."),
              kind = "file")
  }
  if (!is.null(delim)) {
    check_string(delim, "delim")
    if (!delim %in% c(",", ";", "\t")) {
      arg_error("delim", "one of \",\", \";\", \"\\t\" or NULL", delim)
    }
  }
  if (!is.null(decimal)) {
    check_string(decimal, "decimal")
    if (!decimal %in% c(".", ",")) {
      arg_error("decimal", "\".\", \",\" or NULL", decimal)
    }
  }
  enc_code <- encoding_code(encoding)
  if (!is.character(header) || length(header) < 1L || anyNA(header)) {
    arg_error("header", "one of \"auto\", \"single\", \"qualtrics\"", header)
  }
  header <- header[1L]
  header_code <- match(header, c("auto", "single", "qualtrics")) - 1L
  if (is.na(header_code)) {
    arg_error("header", "one of \"auto\", \"single\", \"qualtrics\"", header)
  }
  if (!is.character(na) || anyNA(na)) {
    arg_error("na", "a character vector without NA", na)
  }
  types <- check_col_types(col_types)

  # Compressed and UTF-16 files are turned into a plain UTF-8 copy first.
  plain <- plain_copy(file)
  if (!is.null(plain$path)) {
    on.exit(unlink(plain$path), add = TRUE)
    if (plain$encoding != "") enc_code <- 1L
  }
  res <- .Call(C_read_survey, normalizePath(plain$path %||% file),
               delim %||% "", decimal %||% "", enc_code, header_code,
               enc2utf8(na), enc2utf8(names(types)), unname(types), strict,
               fix_names)
  if (!is.null(res$error)) {
    if (res$error == "header") {
      pa_abort(paste0(res$message, "."), class = "panelattrition_arg_error",
               argument = "header", file = file)
    }
    if (res$error == "argument") {
      pa_abort(res$message, class = "panelattrition_arg_error",
               argument = "col_types", file = file)
    }
    csv_error(file, paste0(res$message, "."), kind = res$error,
              line = res$line, column = res$column)
  }

  cols <- res$columns
  col_names <- res$names
  names(cols) <- col_names
  for (j in which(col_types_factor(col_names, col_types))) {
    cols[[j]] <- factor(cols[[j]])
  }
  out <- structure(cols, class = "data.frame",
                   row.names = .set_row_names(length(res$row_lines)))
  if (isTRUE(res$qualtrics)) {
    attr(out, "labels") <- stats::setNames(res$labels, col_names)
  }
  attr(out, "records") <- res$records
  attr(out, "delim") <- res$delim
  attr(out, "decimal") <- res$decimal
  attr(out, "encoding") <- if (!is.null(plain$path) && plain$encoding != "") {
    plain$encoding
  } else {
    res$encoding
  }
  attr(out, "header_lines") <- res$header_lines
  if (row_lines) attr(out, "row_lines") <- res$row_lines
  if (res$escaped[1L] > 0) {
    lines <- res$escaped[-1L]
    pa_warn(
      sprintf(
        paste0("%s: read as UTF-8 (most of its text is), but %d %s ",
               "bytes that are not valid UTF-8 (first on %s %s); they are ",
               "kept as <xx> escapes. Give `encoding` if the file is in ",
               "another encoding."),
        basename(file), res$escaped[1L],
        if (res$escaped[1L] == 1) "value holds" else "values hold",
        if (length(lines) == 1L) "line" else "lines",
        paste(format(lines, scientific = FALSE, trim = TRUE), collapse = ", ")
      ),
      class = c("panelattrition_encoding_warning", "panelattrition_csv_warning"),
      file = file, count = res$escaped[1L], lines = lines
    )
  }
  probs <- res$problems
  if (length(probs$row) > 0L) {
    probs <- structure(probs, class = "data.frame",
                       row.names = .set_row_names(length(probs$row)))
    attr(out, "problems") <- probs
    n_drop <- sum(probs$action == "row dropped")
    n_quote <- sum(probs$action == "quote read as text")
    n_na <- nrow(probs) - n_drop - n_quote
    pa_warn(
      sprintf(paste0("%s: %d problem%s (%d row%s dropped, %d value%s set to NA%s);",
                     " see attr(x, \"problems\")."),
              basename(file), nrow(probs), if (nrow(probs) == 1L) "" else "s",
              n_drop, if (n_drop == 1L) "" else "s",
              n_na, if (n_na == 1L) "" else "s",
              if (n_quote > 0L) {
                sprintf(", %d stray quote%s read as text", n_quote,
                        if (n_quote == 1L) "" else "s")
              } else ""),
      class = "panelattrition_csv_warning", file = file
    )
  }
  out
}

#' Version of the libcsv library in use
#'
#' @return A string such as `"3.0.3"`: the version of the libcsv headers
#'   the package was compiled against.
#' @export
#' @examples
#' libcsv_version()
libcsv_version <- function() {
  .Call(C_libcsv_version)
}

csv_error <- function(file, message, kind, line = NA_real_,
                      column = NA_integer_) {
  pa_abort(
    sprintf("Cannot read '%s': %s", file, message),
    class = c(paste0("panelattrition_csv_", kind, "_error"),
              "panelattrition_csv_error"),
    file = file, line = line, column = column, kind = kind
  )
}

encoding_code <- function(encoding) {
  if (is.null(encoding)) return(0L)
  check_string(encoding, "encoding")
  key <- tolower(gsub("[-_ ]", "", encoding))
  if (key %in% c("utf8")) return(1L)
  if (key %in% c("latin1", "iso88591")) return(2L)
  if (key %in% c("windows1252", "cp1252")) return(3L)
  arg_error("encoding", "\"UTF-8\", \"latin1\", \"windows-1252\" or NULL",
            encoding)
}

# A gzip-compressed file is expanded, and a UTF-16 file (told by its
# byte-order mark, as Excel's "Unicode text" writes it) converted to UTF-8,
# into a temporary copy that the reader then reads. Returns the copy's path
# (NULL when the file is read as it is) and the encoding it was converted
# from ("" if none).
plain_copy <- function(file) {
  magic <- readBin(file, "raw", 4L)
  path <- NULL
  if (length(magic) >= 2L && magic[1L] == as.raw(0x1f) &&
      magic[2L] == as.raw(0x8b)) {
    path <- tempfile(fileext = ".csv")
    inp <- gzfile(file, "rb")
    out <- file(path, "wb")
    tryCatch({
      repeat {
        chunk <- readBin(inp, "raw", 1048576L)
        if (length(chunk) == 0L) break
        writeBin(chunk, out)
      }
    }, error = function(e) {
      close(inp)
      close(out)
      unlink(path)
      csv_error(file, sprintf("the gzip data cannot be expanded (%s).",
                              conditionMessage(e)), kind = "file")
    })
    close(inp)
    close(out)
    magic <- readBin(path, "raw", 4L)
  }
  from <- ""
  if (length(magic) >= 2L) {
    if (magic[1L] == as.raw(0xff) && magic[2L] == as.raw(0xfe)) {
      from <- "UTF-16LE"
    } else if (magic[1L] == as.raw(0xfe) && magic[2L] == as.raw(0xff)) {
      from <- "UTF-16BE"
    }
  }
  if (from != "") {
    src <- path %||% file
    bytes <- readBin(src, "raw", file.size(src))[-(1:2)]
    utf8 <- iconv(list(bytes), from, "UTF-8", toRaw = TRUE)[[1L]]
    if (is.null(utf8)) {
      csv_error(file, sprintf("the file starts with a %s byte-order mark but is not valid %s.",
                              from, from), kind = "encoding")
    }
    if (is.null(path)) path <- tempfile(fileext = ".csv")
    writeBin(utf8, path)
  }
  list(path = path, encoding = from)
}

check_col_types <- function(col_types) {
  if (is.null(col_types)) return(stats::setNames(character(), character()))
  allowed <- c("logical", "integer", "double", "numeric", "character",
               "factor")
  nms <- names(col_types)
  if (!is.character(col_types) || is.null(nms) || anyNA(nms) ||
      any(nms == "") || anyDuplicated(nms)) {
    arg_error("col_types",
              "a character vector named by column (e.g. c(id = \"character\"))",
              col_types)
  }
  bad <- !col_types %in% allowed
  if (any(bad)) {
    pa_abort(
      sprintf("`col_types` must use the types %s; \"%s\" (column \"%s\") is not one of them.",
              paste0("\"", allowed, "\"", collapse = ", "),
              col_types[bad][1L], nms[bad][1L]),
      class = "panelattrition_arg_error", argument = "col_types"
    )
  }
  types <- unname(col_types)
  types[types == "numeric"] <- "double"
  types[types == "factor"] <- "character"
  stats::setNames(types, nms)
}

col_types_factor <- function(col_names, col_types) {
  if (is.null(col_types)) return(rep(FALSE, length(col_names)))
  col_names %in% names(col_types)[col_types == "factor"]
}

# Empty names get a position-based name and duplicates a suffix, so that
# every column can be addressed; the original header is never reordered.
fix_names <- function(x) {
  empty <- is.na(x) | x == ""
  x[empty] <- paste0("V", which(empty))
  if (anyDuplicated(x)) x <- make.unique(x, sep = "_")
  x
}

# Several waves ------------------------------------------------------------

# read_waves() stacks the exports of several waves and reconciles their
# ids and column types; every message names the wave, file, rows or ids.

#' Read the exports of several survey waves into one long data frame
#'
#' Reads one CSV export per wave with [read_survey()] and stacks them, so that
#' each row is one person's answers at one wave. Ids are reconciled across
#' waves, and duplicated ids or ids that first appear after the first wave
#' are reported instead of being passed on silently.
#'
#' Columns are matched by name. The result holds the union of all columns in
#' order of first appearance; a column missing from a wave is `NA` there.
#' When a column was read as integer in some waves and double in others,
#' it is double. When the waves disagree otherwise (a wave whose `sex`
#' column holds only `F`, read as logical, next to a wave where it is
#' text; `007` next to `7`), the column is taken again as text from every
#' such file, so each value appears exactly as written.
#'
#' Ids are read as text, even when they look like numbers (`007`, or 19
#' digits that a double would round), unless `col_types` in `...` gives the
#' id column a numeric type. Text ids are trimmed of surrounding white
#' space and matched without regard to case, since exports typed by hand
#' or by different platforms rarely agree on either. Each person keeps the
#' trimmed spelling first seen in the earliest wave; if any id had to
#' change, the ids exactly as read are kept in a column named `<id>_raw`,
#' right after the id column. Numeric ids (asked for with `col_types`) are
#' used as they are. A missing (`NA` or empty) id is always an error.
#'
#' With `strict = TRUE`, an id found twice in the same wave, or found in a
#' later wave but not in the first (unless `late_entries = TRUE`), is an
#' error of class `panelattrition_id_error`. With `strict = FALSE`, the
#' first row of each duplicated id is kept and the others dropped, ids
#' absent from the first wave are kept, and a warning is given; every such
#' row (and every late entry kept with `late_entries = TRUE`) is listed,
#' with its file line, in the
#' `problems` attribute, together with the problems [read_survey()] reported
#' for each file. The rows read from all files always equal the rows of the
#' result plus the rows whose action is `"row dropped"`.
#'
#' @param files A named character vector of file paths, one per wave, in the
#'   order the waves took place, e.g. `c(T1 = "t1.csv", T2 = "t2.csv")`. The
#'   names become the wave labels and must be unique and non-empty.
#' @param id The name of the column holding the person identifier, present
#'   in every file.
#' @param ... Further arguments passed to [read_survey()] for every file,
#'   such as `na` or `encoding`. Delimiter and decimal mark are detected per
#'   file, so exports with different conventions can be mixed.
#' @param strict If `TRUE` (the default), problems in the files or the ids
#'   are errors. If `FALSE`, they are repaired as described above, listed in
#'   the `problems` attribute, and signalled by a warning.
#' @param late_entries If `TRUE`, people who first answer after the first
#'   wave are expected (a cohort joining late): they are kept even with
#'   `strict = TRUE`, and still listed in the `problems` attribute with a
#'   warning. Default `FALSE`.
#'
#' @return A data frame with one row per person and wave answered: first a
#'   factor `wave` whose levels are `names(files)` in order, then the id
#'   column, then `<id>_raw` if any id was normalised, then every other
#'   column. If anything was repaired (only with `strict = FALSE`), attribute
#'   `problems` is a data frame with columns `wave`, `row` (row within that
#'   wave's data as read), `line`, `column`, `id`, `problem`
#'   (`"duplicated id"`, `"absent from first wave"` or `"reader"` for
#'   problems reported by [read_survey()]), `expected`, `actual` and
#'   `action` (`"row dropped"`, `"kept"`, or the reader's action).
#'
#' @seealso [panel_data()] to turn the result into a panel.
#' @export
#' @examples
#' files <- c(
#'   T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
#'   T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
#'   T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
#' )
#' # wave2.csv is semicolon-delimited with decimal commas; some T3 ids come
#' # back in lower case or with a trailing space. They are matched to their
#' # T1 spelling and kept as typed in `id_raw`.
#' answers <- read_waves(files, id = "id")
#' table(answers$wave)
#' answers[answers$id != answers$id_raw, c("wave", "id", "id_raw")]
read_waves <- function(files, id, ..., strict = TRUE, late_entries = FALSE) {
  check_required("files", "id")
  check_wave_files(files)
  check_string(id, "id")
  check_flag(strict, "strict")
  check_flag(late_entries, "late_entries")
  if (identical(id, "wave")) {
    pa_abort(
      "`id` cannot be \"wave\": read_waves() adds a column of that name.",
      class = "panelattrition_arg_error", argument = "id"
    )
  }
  waves <- names(files)
  nwave <- length(files)
  dots <- list(...)
  user_types <- dots$col_types
  dots$col_types <- NULL
  # Ids are names, not quantities: read as text unless col_types says
  # otherwise, so that "007" and 12345678901234567 stay as written.
  id_type <- if (id %in% names(user_types)) NULL else c(character = id)
  read_wave <- function(i, as_text = character()) {
    types <- c(user_types, stats::setNames(
      rep("character", length(c(id_type, as_text))), c(id_type, as_text)
    ))
    do.call(read_delimited, c(
      list(files[[i]]), dots,
      list(col_types = if (length(types)) types, strict = strict,
           row_lines = TRUE)
    ))
  }

  tables <- vector("list", nwave)
  reader_problems <- vector("list", nwave)
  bar <- progress_start("Reading the waves' files", nwave)
  for (i in seq_len(nwave)) {
    where <- sprintf("wave %s (file \"%s\")", waves[i], files[[i]])
    df <- tryCatch(read_wave(i), panelattrition_arg_error = function(e) {
      if (!is.null(id_type) && identical(e$argument, "col_types") &&
          grepl(sprintf("\"%s\"", id), conditionMessage(e), fixed = TRUE)) {
        pa_abort(
          sprintf(
            "Id column `%s` is not in %s.", id, where
          ),
          class = "panelattrition_id_error", file = files[[i]],
          wave = waves[i]
        )
      }
      stop(e)
    })
    progress_step(bar)
    if (!id %in% names(df)) {
      pa_abort(
        sprintf(
          "Id column `%s` is not in %s. Its columns are: %s.",
          id, where, format_names(names(df))
        ),
        class = "panelattrition_id_error", file = files[[i]], wave = waves[i]
      )
    }
    if ("wave" %in% names(df)) {
      pa_abort(
        sprintf(
          paste(
            "%s already has a column named `wave`, the name read_waves()",
            "gives to the wave labels. Rename that column in the file first."
          ),
          upper_first(where)
        ),
        class = "panelattrition_panel_error", file = files[[i]],
        wave = waves[i]
      )
    }
    tables[[i]] <- df
    reader_problems[i] <- list(attr(df, "problems", exact = TRUE))
  }
  # A column read as different types in different waves (an all-female
  # wave's "F" read as logical, "007" as text next to 7 as a number) is
  # taken again as text from those files, so the stacked column shows
  # every value exactly as written rather than as converted and back.
  as_text <- columns_as_text(tables)
  for (i in seq_len(nwave)) {
    if (length(as_text[[i]]) == 0L) next
    again <- suppressWarnings(read_wave(i, as_text[[i]]))
    for (col in as_text[[i]]) tables[[i]][[col]] <- again[[col]]
  }
  row_lines <- lapply(tables, function(df) attr(df, "row_lines"))
  rows_read <- vapply(tables, nrow, integer(1))

  # Ids: check for missing ones, then derive one matching key per row.
  raw_ids <- lapply(tables, function(df) df[[id]])
  check_missing_ids(raw_ids, id, waves, files)
  numeric_ids <- all(vapply(raw_ids, is.numeric, logical(1)))
  if (numeric_ids) {
    if (any(vapply(raw_ids, is.double, logical(1)))) {
      raw_ids <- lapply(raw_ids, as.double)
    }
    raw_text <- lapply(raw_ids, to_character)
    trimmed <- raw_ids
    keys <- raw_ids
  } else {
    raw_text <- lapply(raw_ids, to_character)
    trimmed <- lapply(raw_text, trim_id)
    keys <- lapply(trimmed, tolower)
  }

  problems <- find_id_problems(keys, raw_text, waves)
  # (find_id_problems() lists the rows wave by wave, in wave order)
  problems$line <- unlist(lapply(seq_len(nwave), function(i) {
    row_lines[[i]][problems$row[problems$wave == waves[i]]]
  }), use.names = FALSE)
  fatal <- problems$problem == "duplicated id" |
    (problems$problem == "absent from first wave" & !late_entries)
  if (strict && any(fatal)) {
    stop_id_problems(problems[fatal, , drop = FALSE], keys, raw_text, waves,
                     files, late_entries)
  }

  keep <- lapply(keys, function(k) !duplicated(k))
  for (i in seq_len(nwave)) {
    k <- keep[[i]]
    if (all(k)) next
    tables[[i]] <- tables[[i]][k, , drop = FALSE]
    raw_text[[i]] <- raw_text[[i]][k]
    trimmed[[i]] <- trimmed[[i]][k]
    keys[[i]] <- keys[[i]][k]
  }
  rows_kept <- vapply(tables, nrow, integer(1))

  # Each person is spelled as in the earliest wave that has them.
  all_keys <- unlist(keys, use.names = FALSE)
  all_trimmed <- unlist(trimmed, use.names = FALSE)
  first_seen <- !duplicated(all_keys)
  id_values <- all_trimmed[first_seen][
    match(all_keys, all_keys[first_seen])
  ]
  all_raw <- unlist(raw_text, use.names = FALSE)
  raw_name <- paste0(id, "_raw")
  keep_raw <- !numeric_ids && any(id_values != all_raw)

  others <- unique(unlist(
    lapply(tables, function(df) setdiff(names(df), id)),
    use.names = FALSE
  ))
  if (keep_raw && raw_name %in% others) {
    pa_abort(
      sprintf(
        paste(
          "Some ids were trimmed or re-cased, but the files already have a",
          "column `%s`, where read_waves() keeps the ids as read. Rename it",
          "first."
        ),
        raw_name
      ),
      class = "panelattrition_id_error"
    )
  }

  columns <- list(wave = factor(rep(waves, rows_kept), levels = waves))
  columns[[id]] <- id_values
  if (keep_raw) columns[[raw_name]] <- all_raw
  for (col in others) {
    pieces <- lapply(tables, function(df) {
      if (col %in% names(df)) df[[col]] else NULL
    })
    columns[[col]] <- stack_column(pieces, rows_kept)
  }
  out <- list2DF(columns)

  all_problems <- merge_problems(problems, reader_problems, waves, id)
  if (!is.null(all_problems)) attr(out, "problems") <- all_problems
  if (nrow(problems) > 0L) warn_id_problems(problems, waves)
  out
}

check_wave_files <- function(files) {
  if (!is.character(files) || length(files) == 0L || anyNA(files)) {
    arg_error(
      "files", "a named character vector of file paths, one per wave", files
    )
  }
  labels <- names(files)
  if (is.null(labels) || anyNA(labels) || any(trimws(labels) == "")) {
    pa_abort(
      paste(
        "Every element of `files` must be named after its wave, as in",
        "c(T1 = \"t1.csv\", T2 = \"t2.csv\")."
      ),
      class = "panelattrition_arg_error", argument = "files"
    )
  }
  if (anyDuplicated(labels)) {
    pa_abort(
      sprintf(
        "The names of `files` must be unique; %s appears more than once.",
        format_values(unique(labels[duplicated(labels)]))
      ),
      class = "panelattrition_arg_error", argument = "files"
    )
  }
  invisible(files)
}

# An id that is NA, or nothing but white space, cannot be matched to anyone.
is_missing_id <- function(x) {
  if (is.character(x)) is.na(x) | trim_id(x) == "" else is.na(x)
}

# Spreadsheets leave tabs, line ends and non-breaking spaces around ids too.
trim_id <- function(x) trimws(x, whitespace = "[\\h\\v]")

check_missing_ids <- function(raw_ids, id, waves, files) {
  lines <- character()
  for (i in seq_along(raw_ids)) {
    rows <- which(is_missing_id(raw_ids[[i]]))
    if (length(rows) == 0L) next
    lines <- c(lines, sprintf(
      "* wave %s (file \"%s\"): %d missing, in %s %s.",
      waves[i], files[[i]], length(rows),
      if (length(rows) == 1L) "row" else "rows", format_rows(rows)
    ))
  }
  if (length(lines) == 0L) return(invisible())
  pa_abort(
    paste0(
      "Id column `", id, "` has missing values:\n",
      paste(lines, collapse = "\n"),
      "\nEvery answer must carry the id of the person who gave it; fill in",
      " or remove these rows."
    ),
    class = "panelattrition_id_error"
  )
}

# One row per duplicated row (after the first of its id) and per row whose
# id the first wave does not have. Rows are numbered within each wave's data.
find_id_problems <- function(keys, raw_text, waves) {
  parts <- vector("list", length(keys))
  for (i in seq_along(keys)) {
    dup <- duplicated(keys[[i]])
    absent <- if (i == 1L) {
      rep(FALSE, length(dup))
    } else {
      !dup & !(keys[[i]] %in% keys[[1L]])
    }
    rows <- which(dup | absent)
    parts[[i]] <- data.frame(
      wave = rep(waves[i], length(rows)),
      row = rows,
      id = raw_text[[i]][rows],
      problem = ifelse(dup[rows], "duplicated id", "absent from first wave"),
      action = ifelse(dup[rows], "row dropped", "kept")
    )
  }
  out <- do.call(rbind, parts)
  out$wave <- factor(out$wave, levels = waves)
  out
}

stop_id_problems <- function(problems, keys, raw_text, waves, files,
                             late_entries = FALSE) {
  lines <- character()
  for (i in seq_along(waves)) {
    here <- problems[problems$wave == waves[i], , drop = FALSE]
    where <- sprintf("wave %s (file \"%s\")", waves[i], files[[i]])
    dup_rows <- here$row[here$problem == "duplicated id"]
    if (length(dup_rows) > 0L) {
      dup_keys <- unique(keys[[i]][dup_rows])
      examples <- vapply(utils::head(dup_keys, 5L), function(k) {
        rows <- which(keys[[i]] == k)
        sprintf(
          "\"%s\" (rows %s)", raw_text[[i]][rows[1L]], format_rows(rows)
        )
      }, character(1))
      lines <- c(lines, sprintf(
        "* %s: %d %s more than once (%d extra %s), e.g. %s%s.",
        where, length(dup_keys),
        if (length(dup_keys) == 1L) "id appears" else "ids appear",
        length(dup_rows), if (length(dup_rows) == 1L) "row" else "rows",
        paste(examples, collapse = ", "),
        if (length(dup_keys) > 5L) ", ..." else ""
      ))
    }
    absent_rows <- here$row[here$problem == "absent from first wave"]
    if (length(absent_rows) > 0L) {
      examples <- sprintf(
        "\"%s\" (row %d)", raw_text[[i]][absent_rows], absent_rows
      )
      lines <- c(lines, sprintf(
        "* %s: %d %s not in the first wave (%s), e.g. %s%s.",
        where, length(absent_rows),
        if (length(absent_rows) == 1L) "id is" else "ids are",
        waves[1L], paste(utils::head(examples, 5L), collapse = ", "),
        if (length(examples) > 5L) ", ..." else ""
      ))
    }
  }
  pa_abort(
    paste0(
      "Ids are duplicated within a wave or missing from the first wave ",
      "(ids compared without case or surrounding spaces):\n",
      paste(lines, collapse = "\n"),
      "\nCorrect the files, or use `strict = FALSE` to keep the first row of ",
      "each duplicated id and the ids absent from ", waves[1L], "; every ",
      "such row is then listed in attr(<result>, \"problems\")",
      if (!late_entries) {
        paste0(". If people may join after ", waves[1L], ", use ",
               "`late_entries = TRUE`.")
      } else {
        "."
      }
    ),
    class = "panelattrition_id_error", problems = problems
  )
}

warn_id_problems <- function(problems, waves) {
  counts <- character()
  for (w in waves) {
    here <- problems[problems$wave == w, , drop = FALSE]
    n_dup <- sum(here$problem == "duplicated id")
    n_absent <- sum(here$problem == "absent from first wave")
    what <- c(
      if (n_dup > 0L) {
        sprintf("%d duplicated %s dropped", n_dup, plural(n_dup, "row"))
      },
      if (n_absent > 0L) {
        sprintf(
          "%d %s absent from %s kept", n_absent, plural(n_absent, "id"),
          waves[1L]
        )
      }
    )
    if (length(what) > 0L) {
      counts <- c(counts, sprintf("%s: %s", w, paste(what, collapse = ", ")))
    }
  }
  pa_warn(
    paste0(
      "Ids needed attention (", paste(counts, collapse = "; "), "). ",
      "See attr(<result>, \"problems\")."
    ),
    class = "panelattrition_id_warning", problems = problems
  )
}

# Id problems and the reader's problems in one table, by wave then row.
merge_problems <- function(problems, reader_problems, waves, id) {
  n <- nrow(problems)
  parts <- list(data.frame(
    wave = problems$wave,
    row = as.integer(problems$row),
    line = if (is.null(problems$line)) rep(NA_integer_, n) else
      as.integer(problems$line),
    column = rep(id, n),
    id = problems$id,
    problem = problems$problem,
    expected = rep(NA_character_, n),
    actual = rep(NA_character_, n),
    action = problems$action
  ))
  for (i in seq_along(waves)) {
    p <- reader_problems[[i]]
    if (is.null(p) || nrow(p) == 0L) next
    m <- nrow(p)
    field <- function(name, as) {
      if (name %in% names(p)) as(p[[name]]) else as(rep(NA, m))
    }
    parts[[length(parts) + 1L]] <- data.frame(
      wave = factor(rep(waves[i], m), levels = waves),
      row = field("row", as.integer),
      line = field("line", as.integer),
      column = field("column", as.character),
      id = rep(NA_character_, m),
      problem = rep("reader", m),
      expected = field("expected", as.character),
      actual = field("actual", as.character),
      action = field("action", as.character)
    )
  }
  out <- do.call(rbind, parts)
  if (nrow(out) == 0L) return(NULL)
  out <- out[order(as.integer(out$wave), out$row, method = "radix"), ,
             drop = FALSE]
  rownames(out) <- NULL
  out
}

# For each wave, the columns to take again as text: those whose waves
# disagree on the type, other than integer next to double (which widens
# without changing a value). A wave where the column is all missing says
# nothing about its type.
columns_as_text <- function(tables) {
  out <- rep(list(character()), length(tables))
  others <- unique(unlist(lapply(tables, names), use.names = FALSE))
  for (col in others) {
    has <- which(vapply(tables, function(df) col %in% names(df), logical(1)))
    pieces <- lapply(tables[has], function(df) df[[col]])
    blank <- vapply(pieces, function(p) is.logical(p) && all(is.na(p)) &&
                      is.null(attr(p, "class")), logical(1))
    classes <- lapply(pieces[!blank], class)
    if (length(classes) < 2L ||
        all(vapply(classes, identical, logical(1), classes[[1L]]))) {
      next
    }
    ranks <- vapply(pieces[!blank], type_rank, integer(1))
    if (all(ranks %in% c(2L, 3L))) next
    for (k in which(!blank)) {
      if (!is.character(pieces[[k]])) {
        out[[has[k]]] <- c(out[[has[k]]], col)
      }
    }
  }
  out
}

# Stack one column's pieces (NULL where a wave lacks the column), widening
# the type so no value is lost.
stack_column <- function(pieces, sizes) {
  present <- pieces[!vapply(pieces, is.null, logical(1))]
  # A column left empty in a wave is read as all-NA logical; it says nothing
  # about the column's type and must not turn dates or factors into text.
  blank <- vapply(present, function(p) is.logical(p) && all(is.na(p)) &&
                    is.null(attr(p, "class")), logical(1))
  if (any(!blank)) present <- present[!blank]
  ranks <- vapply(present, type_rank, integer(1))
  classes <- lapply(present, class)
  if (all(vapply(classes, identical, logical(1), classes[[1L]]))) {
    template <- present[[1L]]
    cast <- function(p) if (is.logical(p) && all(is.na(p))) {
      template[rep(NA_integer_, length(p))]
    } else {
      p
    }
  } else if (all(ranks > 0L)) {
    template <- list(NA, NA_integer_, NA_real_, NA_character_)[[max(ranks)]]
    cast <- list(as.logical, as.integer, as.double, to_character)[[max(ranks)]]
  } else {
    template <- NA_character_
    cast <- to_character
  }
  filled <- lapply(seq_along(pieces), function(i) {
    p <- pieces[[i]]
    if (is.null(p)) template[rep(NA_integer_, sizes[i])] else cast(p)
  })
  out <- do.call(c, unname(filled))
  if (is.null(out)) template[0L] else out
}

# 1 logical, 2 integer, 3 double, 4 character; 0 for anything else.
type_rank <- function(x) {
  if (!is.null(attr(x, "class"))) return(0L)
  match(typeof(x), c("logical", "integer", "double", "character"),
        nomatch = 0L)
}

