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
#' `action` (`"row dropped"` or `"set to NA"`); text that is not valid
#' UTF-8 is shown there with `<xx>` escapes. After a damaged record that
#' runs over several lines (a stray quote, text after a closing quote),
#' reading resumes on the line after the one where it starts, so only that
#' record is dropped. No row is ever lost without a trace: the rows of the
#' result plus the dropped rows equal the records of the file (attribute
#' `records`). Only regular files are read: a pipe or device is an error
#' of class `panelattrition_csv_file_error`.
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
    pa_warn(
      sprintf(paste0("%s: %d problem%s (%d row%s dropped, %d value%s set to NA);",
                     " see attr(x, \"problems\")."),
              basename(file), nrow(probs), if (nrow(probs) == 1L) "" else "s",
              n_drop, if (n_drop == 1L) "" else "s",
              nrow(probs) - n_drop, if (nrow(probs) - n_drop == 1L) "" else "s"),
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

`%||%` <- function(x, y) if (is.null(x)) y else x

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
