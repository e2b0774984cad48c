fixture <- function(name) test_path("fixtures", name)

# read_survey() keeps what it detected as attributes; base readers do not.
plain <- function(x) {
  for (a in c("records", "delim", "decimal", "encoding", "labels",
              "problems", "header_lines")) {
    attr(x, a) <- NULL
  }
  x
}

test_that("comma-delimited files match read.csv()", {
  x <- read_survey(fixture("comma.csv"))
  expect_identical(plain(x), read.csv(fixture("comma.csv")))
  expect_identical(attr(x, "delim"), ",")
  expect_identical(attr(x, "decimal"), ".")
  expect_identical(attr(x, "records"), 4)
  expect_identical(x$score, c(2.5, 3.75, -125, 0.001))
})

test_that("semicolons are detected with the decimal comma", {
  f <- fixture("semicolon_decimal.csv")
  x <- read_survey(f)
  expect_identical(attr(x, "delim"), ";")
  expect_identical(attr(x, "decimal"), ",")
  expect_identical(plain(x), read.csv2(f, na.strings = c("", "NA")))
  expect_identical(x$wellbeing, c(3.5, 4.25, -0.5, 1234.125))
  expect_identical(x$hours, c(12L, 8L, NA, 40L))
  # overriding the decimal mark leaves "3,5" as text
  y <- read_survey(f, decimal = ".")
  expect_type(y$wellbeing, "character")
  expect_identical(y$wellbeing[1], "3,5")
})

test_that("tab-delimited files are detected", {
  f <- fixture("tab.tsv")
  x <- read_survey(f)
  expect_identical(attr(x, "delim"), "\t")
  expect_identical(plain(x), read.delim(f, na.strings = c("", "NA")))
})

test_that("an explicit delimiter overrides detection", {
  x <- read_survey(fixture("comma.csv"), delim = ";")
  expect_identical(names(x), "id,group,age,score,employed")
  expect_identical(nrow(x), 4L)
  expect_identical(x[[1]][1], "1,integrated,34,2.5,TRUE")
})

test_that("UTF-8 with and without a byte-order mark comes back as UTF-8", {
  x <- read_survey(fixture("utf8_bom.csv"))
  expect_identical(names(x), c("id", "name", "town"))
  expect_identical(x$name, c("Zo\u00eb", "Jos\u00e9", "Ana\u00efs"))
  expect_identical(x$town, c("Saint-\u00c9tienne", "Malm\u00f6",
                             "Besan\u00e7on"))
  expect_true(all(Encoding(x$name) == "UTF-8"))
  expect_identical(attr(x, "encoding"), "UTF-8")

  y <- read_survey(fixture("utf8.csv"))
  expect_identical(y$name, c("Fran\u00e7oise", "\u0141ukasz", "Chlo\u00e9"))
  expect_identical(y$comment, c("tr\u00e8s utile", "\u2019ok\u2019",
                                "na\u00efve"))
  expect_true(all(Encoding(y$comment) == "UTF-8"))
})

test_that("Latin-1 files are detected and converted to UTF-8", {
  x <- read_survey(fixture("latin1.csv"))
  expect_identical(attr(x, "encoding"), "latin1")
  expect_identical(x$name, c("Fran\u00e7oise", "H\u00e9l\u00e8ne",
                             "No\u00ebl"))
  expect_identical(x$comment, c("tr\u00e8s utile", "\u00e7a va",
                                "\u00e0 revoir"))
  expect_true(all(Encoding(x$name) == "UTF-8"))
  # declaring the encoding gives the same result
  expect_identical(read_survey(fixture("latin1.csv"), encoding = "ISO-8859-1"),
                   x)
})

test_that("invalid UTF-8 under a declared UTF-8 encoding is located", {
  f <- fixture("bad_utf8.csv")
  err <- expect_error(read_survey(f, encoding = "UTF-8"),
                      class = "panelattrition_csv_encoding_error")
  expect_s3_class(err, "panelattrition_csv_error")
  expect_s3_class(err, "panelattrition_error")
  expect_identical(err$line, 3)
  expect_identical(err$column, 2L)
  expect_match(conditionMessage(err), "bad_utf8.csv")
  expect_match(conditionMessage(err), "line 3, column 'name'")

  expect_warning(x <- read_survey(f, encoding = "UTF-8", strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(x$name, c("ok", NA))
  p <- attr(x, "problems")
  expect_identical(p$line, 3)
  expect_identical(p$column, "name")
  expect_identical(p$expected, "valid UTF-8")
  expect_identical(p$action, "set to NA")

  # left to detection, the same file is Latin-1
  expect_identical(read_survey(f)$name, c("ok", "caf\u00e9"))
})

test_that("CRLF endings and a missing final newline read like LF files", {
  a <- read_survey(fixture("crlf.csv"))
  b <- read_survey(fixture("no_final_newline.csv"))
  expect_identical(plain(a), read.csv(fixture("crlf.csv")))
  expect_identical(plain(b), plain(a))
  expect_identical(a$status, c("employed", "unemployed", "training"))
})

test_that("quoted fields keep delimiters, doubled quotes and newlines", {
  x <- read_survey(fixture("quoted.csv"))
  expect_identical(x$comment, c("Good, very good", "She said \"yes\"",
                                "two\nlines", "crlf\r\ninside", NA))
  expect_identical(x$score, 5:1)
  rc <- read.csv(fixture("quoted.csv"), na.strings = c("", "NA"))
  expect_identical(plain(x)[-2], rc[-2])
  expect_identical(x$comment[1:3], rc$comment[1:3])
})

test_that("blank lines are not rows", {
  x <- read_survey(fixture("blank_lines.csv"))
  expect_identical(plain(x), data.frame(id = 1:3, score = 5:7))
  expect_identical(attr(x, "records"), 3)
})

test_that("Qualtrics exports keep question texts as labels, not data", {
  x <- read_survey(fixture("qualtrics.csv"))
  expect_identical(nrow(x), 3L)
  expect_identical(x$Q1, c(4L, 5L, 2L))
  expect_identical(x$Q2_2, c(2L, 4L, 1L))
  expect_identical(x$ResponseId, c("R_1a2b3c", "R_4d5e6f", "R_7g8h9i"))
  expect_identical(x$Q3, c("Useful, thanks", NA, "Too short"))
  lab <- attr(x, "labels")
  expect_identical(names(lab), names(x))
  expect_identical(unname(lab["Q1"]),
                   "How satisfied are you with the training?")
  expect_identical(unname(lab["Q2_1"]), "Confidence - Solving problems")
  expect_identical(attr(x, "records"), 3)

  # header = "single" keeps the two rows as data: every column is text
  y <- read_survey(fixture("qualtrics.csv"), header = "single")
  expect_identical(nrow(y), 5L)
  expect_null(attr(y, "labels"))
  expect_identical(y$Q1[1], "How satisfied are you with the training?")
  expect_match(y$Q1[2], "ImportId", fixed = TRUE)

  # header = "qualtrics" forces it on a file without the tag row
  z <- read_survey(fixture("comma.csv"), header = "qualtrics")
  expect_identical(nrow(z), 2L)
  expect_identical(unname(attr(z, "labels")["group"]), "integrated")
})

test_that("types are inferred over the whole column", {
  x <- read_survey(fixture("types.csv"))
  expect_identical(x$lgl, c(TRUE, FALSE, NA, TRUE))
  expect_identical(x$int, c(1L, -20L, NA, 2147483647L))
  expect_identical(x$dbl, c(1.5, 2, NA, Inf))
  # beyond 32 bits: double, exactly
  expect_identical(x$big, c(2147483648, 12345678901, NA, 1))
  # leading zeros are identifiers
  expect_identical(x$zeros, c("007", "010", NA, "0"))
  expect_identical(x$mixed, c("1", "TRUE", "a", "2"))
  expect_identical(x$allna, c(NA, NA, NA, NA))
  # -1e-300 written in hexadecimal: R reads hex exactly, while its decimal
  # parser depends on long double precision (which valgrind lowers)
  expect_identical(x$sci, c(1000, 0.025, NA, -0x1.56e1fc2f8f359p-997))
  expect_identical(x$neg, c(-3L, 4L, NA, 0L))
  # read.csv agrees on every column but two: leading zeros are numbers to
  # it, and it does not take "F" and "true" in one logical column
  rc <- read.csv(fixture("types.csv"), na.strings = c("", "NA"))
  keep <- setdiff(names(x), c("zeros", "lgl"))
  # under valgrind R's own parser reads -1e-300 one unit off
  if (nzchar(Sys.getenv("PA_VALGRIND"))) keep <- setdiff(keep, "sci")
  expect_identical(plain(x)[keep], rc[keep])
})

test_that("doubles are correctly rounded", {
  # Up to 15 significant digits and small exponents, the correctly rounded
  # value is m / 10^k computed in IEEE arithmetic (both operands exact).
  # R's own parser (as.numeric, read.csv) is sometimes one unit in the last
  # place away from it, e.g. for "0.082059".
  m <- c(82059, 1, 3, 123456789, 435, 1515181, 296764, 999999999999999)
  k <- c(6, 1, 1, 3, 2, 6, 6, 15)
  txt <- c("0.082059", "0.1", "0.3", "123456.789", "4.35", "1.515181",
           "0.296764", "0.999999999999999")
  # beyond that the value comes from strtod(); expected values written in
  # hexadecimal, which R reads exactly
  # (integers a double cannot hold exactly, such as 9007199254740993, are
  # text: see test-read-fidelity.R; with an exponent they are numbers)
  txt_slow <- c("9007199254740993e0", "1.7976931348623157e308",
                "2.2250738585072014e-308", "3.141592653589793238462643",
                "1e23", "1234567890123456789e0", "123456789012345678e-30")
  slow <- c(0x1.0000000000000p+53, 0x1.fffffffffffffp+1023,
            0x1.0000000000000p-1022, 0x1.921fb54442d18p+1,
            0x1.52d02c7e14af6p+76, 0x1.12210f47de981p+60,
            0x1.15fffe541dec4p-43)
  f <- tempfile(fileext = ".csv")
  writeLines(c("x", txt, txt_slow, "-0.0", "1e-5", "-.5", "7."), f)
  x <- read_survey(f)$x
  expect_identical(x[seq_along(txt)], m / 10^k)
  expect_identical(x[length(txt) + seq_along(slow)], slow)
  tail4 <- x[length(x) - 3:0]
  expect_identical(tail4, c(0, 1 / 10^5, -0.5, 7))
  expect_identical(1 / tail4[1], -Inf)
})

test_that("32-bit limits: INT_MIN is R's NA, so it becomes double", {
  f <- tempfile(fileext = ".csv")
  writeLines(c("a,b", "-2147483647,1", "0,-2147483648"), f)
  x <- read_survey(f)
  expect_identical(x$a, c(-2147483647L, 0L))
  expect_identical(x$b, c(1, -2147483648))
})

test_that("na strings are honoured exactly", {
  f <- fixture("na_strings.csv")
  x <- read_survey(f, na = c("-9", ".", "n/a"))
  expect_identical(plain(x), read.csv(f, na.strings = c("-9", ".", "n/a")))
  expect_identical(x$score, c(99L, NA, NA, 7L))
  # by default "." and "-9" are values, so score is text
  expect_identical(read_survey(f)$score, c("99", "-9", ".", "7"))
})

test_that("col_types overrides inference and reports what does not fit", {
  x <- read_survey(fixture("comma.csv"),
                   col_types = c(id = "character", age = "double",
                                 group = "factor", employed = "character"))
  expect_identical(x$id, c("1", "2", "3", "4"))
  expect_identical(x$age, c(34, 51, 29, 42))
  expect_identical(x$group, factor(c("integrated", "parallel", "collective",
                                     "collaborative")))
  expect_identical(x$employed, c("TRUE", "FALSE", "TRUE", "FALSE"))

  f <- fixture("bad_int.csv")
  err <- expect_error(read_survey(f, col_types = c(count = "integer")),
                      class = "panelattrition_csv_parse_error")
  expect_identical(err$line, 3)
  expect_identical(err$column, 2L)
  expect_match(conditionMessage(err), "\"ten\" cannot be read as integer")

  expect_warning(y <- read_survey(f, col_types = c(count = "integer"),
                                  strict = FALSE))
  expect_identical(y$count, c(10L, NA, 30L))
  p <- attr(y, "problems")
  expect_identical(p$row, 2)
  expect_identical(p$line, 3)
  expect_identical(p$expected, "integer")
  expect_identical(p$actual, "ten")
  expect_identical(p$action, "set to NA")

  expect_error(read_survey(f, col_types = c(nope = "integer")),
               class = "panelattrition_arg_error", regexp = "nope")
  expect_error(read_survey(f, col_types = c(count = "date")),
               class = "panelattrition_arg_error", regexp = "date")
  expect_error(read_survey(f, col_types = "integer"),
               class = "panelattrition_arg_error")
})

test_that("a header-only file gives a 0-row data frame, an empty file an error", {
  x <- read_survey(fixture("header_only.csv"))
  expect_identical(names(x), c("id", "wave", "score"))
  expect_identical(nrow(x), 0L)
  expect_identical(attr(x, "records"), 0)
  err <- expect_error(read_survey(fixture("empty.csv")),
                      class = "panelattrition_csv_empty_error")
  expect_match(conditionMessage(err), "empty.csv")
})

test_that("ragged rows stop a strict read at the right line", {
  f <- fixture("ragged.csv")
  # line 2-3 hold one record with a quoted newline, so "2,x" is line 4
  err <- expect_error(read_survey(f), class = "panelattrition_csv_ragged_error")
  expect_identical(err$line, 4)
  expect_match(conditionMessage(err),
               "line 4 has 2 fields, but the header has 3")
  expect_identical(err$file, f)
})

test_that("lenient reads drop ragged rows and account for every record", {
  expect_warning(x <- read_survey(fixture("ragged.csv"), strict = FALSE),
                 "2 rows dropped", class = "panelattrition_csv_warning")
  p <- attr(x, "problems")
  expect_identical(p$line, c(4, 6))
  expect_identical(p$expected, c("3 fields", "3 fields"))
  expect_identical(p$actual, c("2 fields", "4 fields"))
  expect_identical(p$action, c("row dropped", "row dropped"))
  expect_identical(x$id, c(1L, 3L, 5L))
  expect_identical(x$name, c("a\nb", "y", "w"))
  # nothing vanishes: kept rows + dropped rows = records in the file
  expect_identical(nrow(x) + sum(p$action == "row dropped"), 5L)
  expect_identical(attr(x, "records"), 5)
})

test_that("an unterminated quote is located", {
  f <- fixture("unterminated.csv")
  err <- expect_error(read_survey(f), class = "panelattrition_csv_quote_error")
  expect_identical(err$line, 3)
  expect_identical(err$column, 2L)
  expect_match(conditionMessage(err), "line 3 \\(field 2\\) is never closed")
  # leniently only that record is lost: reading resumes on the next line
  expect_warning(x <- read_survey(f, strict = FALSE))
  expect_identical(x$id, c(1L, 3L))
  p <- attr(x, "problems")
  expect_identical(p$line, 3)
  expect_identical(p$expected, "a closing quote")
  expect_identical(p$action, "row dropped")
})

test_that("missing files and bad arguments are classed errors", {
  expect_error(read_survey(tempfile()), class = "panelattrition_csv_file_error")
  expect_error(read_survey(tempdir()), class = "panelattrition_csv_file_error")
  expect_error(read_survey(1), class = "panelattrition_arg_error",
               regexp = "`file` must be a single string")
  f <- fixture("comma.csv")
  expect_error(read_survey(f, delim = "|"), class = "panelattrition_arg_error",
               regexp = "`delim`")
  expect_error(read_survey(f, decimal = ";"), class = "panelattrition_arg_error")
  expect_error(read_survey(f, encoding = "EBCDIC"),
               class = "panelattrition_arg_error", regexp = "`encoding`")
  expect_error(read_survey(f, header = "double"),
               class = "panelattrition_arg_error")
  expect_error(read_survey(f, na = NA_character_),
               class = "panelattrition_arg_error")
  expect_error(read_survey(f, strict = NA), class = "panelattrition_arg_error")
})

test_that("a file larger than one read block matches write.csv/read.csv", {
  set.seed(20240601)
  n <- 30000
  d <- data.frame(
    id = sprintf("P%05d", seq_len(n)),
    likert = sample(c(1:5, NA), n, replace = TRUE),
    x = round(rnorm(n) * 1e6) / 1e6,
    when = format(as.Date("2022-01-01") + sample(0:365, n, TRUE)),
    text = sample(c("yes", "no, thanks", "said \"maybe\"", "two\nlines", NA),
                  n, replace = TRUE),
    flag = sample(c(TRUE, FALSE, NA), n, replace = TRUE),
    stringsAsFactors = FALSE
  )
  f <- tempfile(fileext = ".csv")
  write.csv(d, f, row.names = FALSE, na = "")
  expect_gt(file.size(f), 2^20)
  x <- read_survey(f)
  rc <- read.csv(f, na.strings = c("", "NA"))
  expect_identical(plain(x)[-3], rc[-3])
  # the numbers are exactly the doubles that were written (read.csv can be
  # one unit in the last place away, so it is compared with a tolerance)
  expect_identical(x$x, d$x)
  expect_equal(x$x, rc$x, tolerance = 1e-15)
  expect_identical(x$text, d$text)

  # a ragged record far into the file is found at its physical line: the
  # record r starts on line 1 + r + (records before it that span 2 lines)
  r <- 25000
  while (grepl("\n", d$text[r], fixed = TRUE)) r <- r + 1
  line_r <- 1 + r + sum(grepl("\n", d$text[seq_len(r - 1)], fixed = TRUE))
  lines <- readLines(f)
  lines[line_r] <- paste0(lines[line_r], ",extra")
  g <- tempfile(fileext = ".csv")
  writeLines(lines, g)
  err <- expect_error(read_survey(g), class = "panelattrition_csv_ragged_error")
  expect_identical(err$line, line_r)
  expect_match(conditionMessage(err), sprintf("line %d has 7 fields", line_r))
})

test_that("the fast path of the tokenizer hands over to libcsv mid-record", {
  # every way a record can leave the fast path (a quote inside an unquoted
  # field, a quoted field over two lines, text after a closing quote,
  # doubled quotes, an empty quoted field, a trailing delimiter, CR and
  # CR LF line ends, blank lines), in the first field and in later ones
  f <- tempfile(fileext = ".csv")
  on.exit(unlink(f))
  text <- paste0(
    "id,a,b,c\n",
    "1,plain,\"q, d\",x\n",
    "2,ab\"c,\"say \"\"hi\"\"\",\n",
    "3,\"two\nlines\",\"\",z\n",
    "\n",
    "4\"x,\"\"\"\",\"a\"\"\",w\n",
    "5,e,f,g\r",
    "6,\"h\",i,\"j\"\r\n",
    "7,k,l,m"
  )
  writeBin(charToRaw(text), f)
  x <- read_survey(f)
  expect_identical(x$id, c("1", "2", "3", "4\"x", "5", "6", "7"))
  expect_identical(x$a, c("plain", "ab\"c", "two\nlines", "\"", "e", "h", "k"))
  expect_identical(x$b, c("q, d", "say \"hi\"", NA, "a\"", "f", "i", "l"))
  expect_identical(x$c, c("x", NA, "z", "w", "g", "j", "m"))
  expect_identical(attr(x, "records"), 7)
  # a closing quote followed by text, after fast fields on its line
  writeLines(c("id,a,b", "1,2,3", "4,5,\"ab\"c", "7,8,9"), f)
  expect_error(read_survey(f), class = "panelattrition_csv_quote_error")
  y <- suppressWarnings(read_survey(f, strict = FALSE))
  expect_identical(y$id, c(1L, 7L))
  expect_identical(attr(y, "problems")$line, 3)
})
