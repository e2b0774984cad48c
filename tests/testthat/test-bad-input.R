# The bad-input matrix: wrong types, missing and empty data, degenerate
# samples and broken files, for every exported function that exists so far.
# Each case must end in one of the package's own classed errors (never an
# error raised by R's internals, never a crash) or in a result documented
# here and checked against values worked out by hand. The "no data lost"
# checks count the records of each file by hand.

# The condition must be ours: `panelattrition_error`, plus `class` if given,
# and, for argument errors, name the argument the user typed.
expect_pa_error <- function(object, class = NULL, argument = NULL) {
  cnd <- expect_error(object, class = "panelattrition_error")
  if (!is.null(class)) expect_s3_class(cnd, class)
  if (!is.null(argument)) expect_identical(cnd$argument, argument)
  invisible(cnd)
}

bytes_file <- function(..., ext = ".csv") {
  path <- tempfile(fileext = ext)
  writeBin(c(...), path)
  path
}

text_file <- function(...) {
  path <- tempfile(fileext = ".csv")
  writeLines(c(...), path)
  path
}

dropped_rows <- function(x) {
  p <- attr(x, "problems")
  if (is.null(p)) 0L else sum(p$action == "row dropped")
}

# A panel small enough to work out its weights by hand: 10 people in each
# group named in `t2`; all answer T1, and the first `t2[group]` of each
# group answer T2. Ages run 21, 22, ... in that order.
hand_panel <- function(t2 = c(a = 0, b = 10, c = 6)) {
  g <- rep(names(t2), each = 10)
  id <- sprintf("p%02d", seq_along(g))
  answered <- unlist(lapply(names(t2), function(k) seq_len(10) <= t2[[k]]))
  long <- rbind(
    data.frame(id = id, wave = "T1", g = g, age = 20 + seq_along(g)),
    data.frame(id = id, wave = "T2", g = g, age = 20 + seq_along(g))[answered, ]
  )
  long$wave <- factor(long$wave, levels = c("T1", "T2"))
  panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
}

# read_survey() ----------------------------------------------------------

test_that("read_survey() names the argument of every wrong type", {
  ok <- test_path("fixtures", "comma.csv")
  expect_pa_error(read_survey(1), argument = "file")
  expect_pa_error(read_survey(NA_character_), argument = "file")
  expect_pa_error(read_survey(c(ok, ok)), argument = "file")
  expect_pa_error(read_survey(ok, delim = ":"), argument = "delim")
  expect_pa_error(read_survey(ok, delim = NA_character_), argument = "delim")
  expect_pa_error(read_survey(ok, decimal = ";"), argument = "decimal")
  expect_pa_error(read_survey(ok, encoding = "ebcdic"), argument = "encoding")
  expect_pa_error(read_survey(ok, encoding = 8), argument = "encoding")
  expect_pa_error(read_survey(ok, header = 1), argument = "header")
  expect_pa_error(read_survey(ok, header = "double"), argument = "header")
  expect_pa_error(read_survey(ok, na = NA), argument = "na")
  expect_pa_error(read_survey(ok, na = 99), argument = "na")
  expect_pa_error(read_survey(ok, col_types = "integer"),
                  argument = "col_types")
  expect_pa_error(read_survey(ok, col_types = c(id = "date")),
                  argument = "col_types")
  expect_pa_error(read_survey(ok, col_types = c(nope = "integer")),
                  argument = "col_types")
  expect_pa_error(read_survey(ok, strict = NA), argument = "strict")
  expect_pa_error(read_survey(ok, strict = "yes"), argument = "strict")
})

test_that("missing, empty and binary files are csv errors of their kind", {
  dir <- tempfile()
  dir.create(dir)
  expect_pa_error(read_survey(file.path(dir, "none.csv")),
                  "panelattrition_csv_file_error")
  expect_pa_error(read_survey(dir), "panelattrition_csv_file_error")
  expect_pa_error(read_survey(bytes_file(raw(0))),
                  "panelattrition_csv_empty_error")
  # blank lines only: still no header
  expect_pa_error(read_survey(bytes_file(charToRaw("\n\r\n\n"))),
                  "panelattrition_csv_empty_error")
  nul <- bytes_file(charToRaw("id,x\n1,a"), as.raw(0), charToRaw("b\n"))
  err <- expect_pa_error(read_survey(nul), "panelattrition_csv_nul_error")
  expect_identical(c(err$line, err$column), c(2, 2))
  # a NUL is refused in lenient mode too: the file is not text
  expect_pa_error(read_survey(nul, strict = FALSE),
                  "panelattrition_csv_nul_error")
})

test_that("a header-only file is a data frame with no rows", {
  x <- read_survey(text_file("id,wave,score"))
  expect_identical(dim(x), c(0L, 3L))
  expect_identical(names(x), c("id", "wave", "score"))
  expect_identical(attr(x, "records"), 0)
  # a column with no values is logical, as documented
  expect_identical(vapply(x, typeof, ""), c(id = "logical", wave = "logical",
                                             score = "logical"))
})

test_that("a file that turns from UTF-8 to Latin-1 midway stays UTF-8", {
  # rows 1-2 are UTF-8 ("café", "naïve"), row 3 Latin-1 ("été")
  f <- bytes_file(charToRaw("id,name\n1,caf\xc3\xa9\n2,na\xc3\xafve\n3,"),
                  as.raw(c(0xe9, 0x74, 0xe9)), charToRaw("\n"))
  # The evidence of the whole file (two valid UTF-8 values, one invalid)
  # says UTF-8: the UTF-8 rows are kept as they are, and the bytes of the
  # odd row are shown as <xx> escapes, with a warning naming its line.
  # (Until 0.2 the one bad row turned the whole file into Latin-1.)
  w <- expect_warning(x <- read_survey(f),
                      class = "panelattrition_encoding_warning")
  expect_match(conditionMessage(w), "1 value holds bytes", fixed = TRUE)
  expect_match(conditionMessage(w), "line 4", fixed = TRUE)
  expect_identical(attr(x, "encoding"), "UTF-8")
  expect_identical(x$name, c("caf\u00e9", "na\u00efve", "<e9>t<e9>"))

  # Declared UTF-8, the Latin-1 row is an encoding error at its line ...
  err <- expect_pa_error(read_survey(f, encoding = "UTF-8"),
                         "panelattrition_csv_encoding_error")
  expect_identical(c(err$line, err$column), c(4, 2))
  # ... or, leniently, an NA listed in the problems; the rest is intact.
  expect_warning(y <- read_survey(f, encoding = "UTF-8", strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(y$name, c("caf\u00e9", "na\u00efve", NA))
  p <- attr(y, "problems")
  expect_identical(p$row, 3)
  expect_identical(p$line, 4)
  expect_identical(p$action, "set to NA")
})

test_that("a truncated file is an error at the record where it breaks", {
  # An export cut off inside a quoted field: the rest of the "2 GB" file is
  # missing. The text after the opening quote is longer than the reader's
  # 1 MiB block, so the break is found across a block boundary.
  tail <- strrep("and the answer goes on ", 70000)
  f <- text_file("id,name,score", "1,a,3", "2,b,4",
                 paste0("3,\"", tail), "more text")
  err <- expect_pa_error(read_survey(f), "panelattrition_csv_quote_error")
  expect_identical(c(err$line, err$column), c(4, 2))
  expect_warning(x <- read_survey(f, strict = FALSE),
                 class = "panelattrition_csv_warning")
  # leniently, the broken record is dropped and reading resumes on the
  # next line, whose "more text" is a record of its own (1 field, dropped)
  expect_identical(x$id, 1:2)
  expect_identical(attr(x, "records"), 4)
  expect_identical(attr(x, "problems")$line, c(4, 5))
  expect_identical(attr(x, "problems")$action, rep("row dropped", 2))

  # cut mid-record, without a final line end
  cut <- bytes_file(charToRaw("id,name,score\n1,a,3\n2,b,4\n3,c"))
  err <- expect_pa_error(read_survey(cut), "panelattrition_csv_ragged_error")
  expect_identical(err$line, 4)
  expect_warning(x <- read_survey(cut, strict = FALSE),
                 class = "panelattrition_csv_warning")
  expect_identical(x$score, c(3L, 4L))
  expect_identical(attr(x, "records"), 3)

  # cut right after the header's opening quote: there is no header at all
  expect_pa_error(read_survey(bytes_file(charToRaw("id,\"na"))),
                  "panelattrition_csv_quote_error")
  expect_pa_error(read_survey(bytes_file(charToRaw("id,\"na")),
                              strict = FALSE),
                  "panelattrition_csv_quote_error")
})

test_that("a 100,000-column header reads quickly into 0 or 1 rows", {
  k <- 100000L
  header <- paste(sprintf("q%d", seq_len(k)), collapse = ",")
  f0 <- text_file(header)
  # a quadratic step anywhere (names, types, data frame) would take minutes
  took <- system.time(x <- read_survey(f0))[["elapsed"]]
  expect_lt(took, 10)
  expect_identical(dim(x), c(0L, k))
  expect_identical(names(x)[c(1L, k)], c("q1", "q100000"))

  f1 <- text_file(header, paste(seq_len(k) * 2L, collapse = ","))
  took <- system.time(x <- read_survey(f1))[["elapsed"]]
  expect_lt(took, 10)
  expect_identical(dim(x), c(1L, k))
  expect_identical(x[[k]], 2L * k)
  expect_identical(unname(unlist(x[1, c(1L, 50000L)])), c(2L, 100000L))
})

test_that("no row is lost: rows + dropped rows = records, on bad files", {
  # file, and its data records counted by hand
  cases <- list(
    # 5 records; "2,x" and "4,z,5,extra" are ragged
    list(test_path("fixtures", "ragged.csv"), 5),
    # 3 records: "1,a,3", the one whose quote never closes (dropped), and
    # "3,c,5" on the line after it, where reading resumes
    list(test_path("fixtures", "unterminated.csv"), 3),
    # blank lines are not records; two ragged rows among four
    list(bytes_file(charToRaw("a,b\n\n1,2\n3\n\n4,5,6\r\n7,8\r\n")), 4),
    # a quoted line end inside a ragged row, CR-only line ends
    list(bytes_file(charToRaw("a,b\r1,\"x\ry\"\r2\r\"3\",4\r")), 3),
    # a final record cut off
    list(bytes_file(charToRaw("a,b,c\n1,2,3\n4,5")), 2),
    # wrong types in a typed column: values set to NA, no row dropped
    list(test_path("fixtures", "bad_int.csv"), 3)
  )
  for (case in cases) {
    types <- if (grepl("bad_int", case[[1]])) c(count = "integer")
    x <- suppressWarnings(read_survey(case[[1]], col_types = types,
                                      strict = FALSE))
    expect_identical(attr(x, "records"), case[[2]], info = case[[1]])
    expect_identical(nrow(x) + dropped_rows(x), as.integer(case[[2]]),
                     info = case[[1]])
  }
})

test_that("inputs that once broke the reader kernel now read or fail cleanly", {
  # tests/testthat/fixtures/fuzz holds inputs saved by `make fuzz`: the
  # first byte chose the reader's settings (decode() in
  # tools/fuzz/fuzz_read.c), the rest is the file.
  saved <- list.files(test_path("fixtures", "fuzz"), full.names = TRUE)
  skip_if(length(saved) == 0L, "no saved fuzz inputs")
  for (path in saved) {
    all <- readBin(path, "raw", file.size(path))
    b <- as.integer(all[1])
    delim <- list(NULL, ",", ";", "\t")[[b %% 4 + 1]]
    b <- b %/% 4
    encoding <- list(NULL, "UTF-8", "latin1")[[b %% 3 + 1]]
    b <- b %/% 3
    header <- c("auto", "single", "qualtrics")[b %% 3 + 1]
    b <- b %/% 3
    strict <- b %% 2 == 1
    decimal <- list(NULL, ".", ",", NULL)[[b %/% 2 %% 4 + 1]]
    f <- bytes_file(all[-1])
    res <- tryCatch(
      suppressWarnings(read_survey(f, delim = delim, decimal = decimal,
                                   encoding = encoding, header = header,
                                   strict = strict)),
      panelattrition_error = function(e) e
    )
    expect_true(is.data.frame(res) || inherits(res, "panelattrition_error"),
                info = basename(path))
    if (is.data.frame(res)) {
      expect_identical(nrow(res) + dropped_rows(res),
                       as.integer(attr(res, "records")), info = basename(path))
    }
  }
})

# read_waves() -------------------------------------------------------------

test_that("read_waves() names the argument of every wrong type", {
  t1 <- text_file("id,x", "a,1")
  expect_pa_error(read_waves(t1, id = "id"), argument = "files")
  expect_pa_error(read_waves(1, id = "id"), argument = "files")
  expect_pa_error(read_waves(character(), id = "id"), argument = "files")
  expect_pa_error(read_waves(c(T1 = NA_character_), id = "id"),
                  argument = "files")
  expect_pa_error(read_waves(list(T1 = t1), id = "id"), argument = "files")
  expect_pa_error(read_waves(c(T1 = t1, T1 = t1), id = "id"),
                  argument = "files")
  expect_pa_error(read_waves(c(T1 = t1), id = 1), argument = "id")
  expect_pa_error(read_waves(c(T1 = t1), id = NA_character_), argument = "id")
  expect_pa_error(read_waves(c(T1 = t1), id = "wave"), argument = "id")
  expect_pa_error(read_waves(c(T1 = t1), id = "id", strict = NA),
                  argument = "strict")
  # arguments for read_survey() are checked by it
  expect_pa_error(read_waves(c(T1 = t1), id = "id", delim = "|"),
                  argument = "delim")
})

test_that("read_waves() reports missing files, ids and id columns", {
  t1 <- text_file("id,x", "a,1", "b,2")
  expect_pa_error(read_waves(c(T1 = t1, T2 = tempfile()), id = "id"),
                  "panelattrition_csv_file_error")
  expect_pa_error(read_waves(c(T1 = t1), id = "person"),
                  "panelattrition_id_error")
  no_id <- text_file("id,x", "a,1", ",2", "NA,3")
  # a missing id is an error even when repairs are allowed
  for (strict in c(TRUE, FALSE)) {
    expect_pa_error(read_waves(c(T1 = t1, T2 = no_id), id = "id",
                               strict = strict),
                    "panelattrition_id_error")
  }
  expect_pa_error(read_waves(c(T1 = t1, T2 = text_file("id,x", "a,1", "a,3")),
                             id = "id"),
                  "panelattrition_id_error")
})

test_that("a wave nobody answered stays a level with no rows", {
  t1 <- text_file("id,x", "a,1", "b,2")
  t2 <- text_file("id,x")
  x <- read_waves(c(T1 = t1, T2 = t2), id = "id")
  expect_identical(levels(x$wave), c("T1", "T2"))
  expect_identical(as.vector(table(x$wave)), c(2L, 0L))
  expect_identical(x$x, 1:2)
  # every wave empty: an empty data frame, not an error
  y <- read_waves(c(T1 = t2, T2 = t2), id = "id")
  expect_identical(nrow(y), 0L)
  expect_identical(levels(y$wave), c("T1", "T2"))
})

test_that("read_waves(strict = FALSE) loses no row: in = kept + dropped", {
  # 4 + 5 + 4 data records, counted by hand
  t1 <- text_file("id,g", "a,x", "b,y", "c,x", "d,y")
  # "B" repeats "b" (ids match without case), "e" is new: 1 dropped, 1 kept
  t2 <- text_file("id,g", "a,x", "b,y", "B,y", "e,x", "c,x")
  # "b,y,9" and "c" are ragged: 2 dropped by the reader
  t3 <- text_file("id,g", "a,x", "b,y,9", "c", "d,y")
  expect_warning(
    expect_warning(x <- read_waves(c(T1 = t1, T2 = t2, T3 = t3), id = "id",
                                   strict = FALSE),
                   class = "panelattrition_csv_warning"),
    class = "panelattrition_id_warning"
  )
  rows_in <- 4 + 5 + 4
  p <- attr(x, "problems")
  expect_identical(nrow(x) + sum(p$action == "row dropped"),
                   as.integer(rows_in))
  expect_identical(as.vector(table(x$wave)), c(4L, 4L, 2L))
  expect_identical(sort(p$problem),
                   c("absent from first wave", "duplicated id", "reader",
                     "reader"))
})

# panel_data() -------------------------------------------------------------

long_abc <- function() {
  data.frame(id = c("a", "b", "c", "a", "c"),
             wave = c("T1", "T1", "T1", "T2", "T2"),
             g = c("x", "y", "x", "x", "x"))
}

test_that("panel_data() names the argument of every wrong type", {
  d <- long_abc()
  expect_pa_error(panel_data(as.matrix(d), "id", "wave"), argument = "data")
  expect_pa_error(panel_data(NULL, "id", "wave"), argument = "data")
  expect_pa_error(panel_data(d, 1, "wave"), argument = "id")
  expect_pa_error(panel_data(d, NA_character_, "wave"), argument = "id")
  expect_pa_error(panel_data(d, "id", c("wave", "g")), argument = "wave")
  expect_pa_error(panel_data(d, "id", "id"), argument = "wave")
  expect_pa_error(panel_data(d, "id", "wave", waves = c("T1", NA)),
                  argument = "waves")
  expect_pa_error(panel_data(d, "id", "wave", waves = list("T1")),
                  argument = "waves")
  expect_pa_error(panel_data(d, "id", "wave", waves = c("T1", "T1", "T2")),
                  argument = "waves")
  expect_pa_error(panel_data(d, "id", "wave", frame = list(id = "a")),
                  argument = "frame")
  expect_pa_error(panel_data(d, "id", "wave", baseline = 1),
                  argument = "baseline")
  expect_pa_error(panel_data(d, "id", "wave", baseline = NA_character_),
                  argument = "baseline")
  expect_pa_error(panel_data(d, "id", "wave", baseline = "id"),
                  argument = "baseline")
  expect_pa_error(panel_data(d, "person", "wave"), argument = "id")
  expect_pa_error(panel_data(d, "id", "time"), argument = "wave")
})

test_that("panel_data() refuses missing ids and waves, and repeats", {
  d <- long_abc()
  d$id[2] <- NA
  err <- expect_pa_error(panel_data(d, "id", "wave"),
                         "panelattrition_panel_error")
  expect_identical(err$rows, 2L)
  d <- long_abc()
  d$id[2] <- "  "
  expect_pa_error(panel_data(d, "id", "wave"), "panelattrition_panel_error")
  d <- long_abc()
  d$wave[5] <- NA
  err <- expect_pa_error(panel_data(d, "id", "wave"),
                         "panelattrition_panel_error")
  expect_identical(err$rows, 5L)
  d <- long_abc()
  err <- expect_pa_error(panel_data(rbind(d, d[4, ]), "id", "wave"),
                         "panelattrition_panel_error")
  expect_identical(err$rows, 6L)
  # a wave not in `waves`, a changing baseline, a bad frame
  expect_pa_error(panel_data(d, "id", "wave", waves = "T1"),
                  "panelattrition_panel_error")
  d2 <- d
  d2$g[4] <- "y"
  expect_pa_error(panel_data(d2, "id", "wave", baseline = "g"),
                  "panelattrition_panel_error")
  expect_pa_error(panel_data(d, "id", "wave", frame = data.frame(id = "a")),
                  "panelattrition_panel_error")
  expect_pa_error(panel_data(d, "id", "wave",
                             frame = data.frame(id = c("a", "b", "c", "a"))),
                  "panelattrition_panel_error")
  expect_pa_error(panel_data(d, "id", "wave",
                             frame = data.frame(id = c("a", "b", "c", NA))),
                  "panelattrition_panel_error")
})

test_that("empty data are refused: a panel needs an answer", {
  # an empty panel used to be built, and then failed with base R errors
  # in summary(), plot() and response_flow() (a panel with no waves)
  d <- long_abc()[0, ]
  d$wave <- factor(d$wave, levels = c("T1", "T2"))
  err <- expect_pa_error(panel_data(d, "id", "wave"),
                         "panelattrition_empty_error")
  expect_identical(err$argument, "data")
  expect_s3_class(err, "panelattrition_panel_error")
  expect_pa_error(panel_data(long_abc()[0, ], "id", "wave"),
                  "panelattrition_empty_error")
})

test_that("waves out of order: rows in any order make the same panel", {
  d <- long_abc()
  shuffled <- d[c(5, 2, 4, 1, 3), ]
  p <- panel_data(d, "id", "wave")
  q <- panel_data(shuffled, "id", "wave")
  # people are listed in order of first appearance: c, b, a here
  expect_identical(rownames(q$response), c("c", "b", "a"))
  expect_identical(q$response[c("a", "b", "c"), ], p$response)
  expect_identical(q$data$id, c("c", "c", "b", "a", "a"))
  expect_identical(as.character(q$data$wave), c("T1", "T2", "T1", "T1", "T2"))
  # Numbered labels with a common prefix are ordered by their numbers
  # (until 0.2 they were sorted as text, "T10" before "T9"); `waves` (or a
  # factor) gives any other order.
  d$wave <- ifelse(d$wave == "T1", "T9", "T10")
  expect_identical(panel_data(d, "id", "wave")$waves, c("T9", "T10"))
  p <- panel_data(d, "id", "wave", waves = c("T9", "T10"))
  expect_identical(p$waves, c("T9", "T10"))
  expect_identical(unname(p$response[, "T9"]), c(TRUE, TRUE, TRUE))
  expect_identical(unname(p$response[, "T10"]), c(TRUE, FALSE, TRUE))
})

test_that("a wave with no respondents is kept and counted as such", {
  d <- long_abc()
  p <- panel_data(d, "id", "wave", waves = c("T1", "T2", "T3"))
  expect_identical(unname(colSums(p$response)), c(3, 2, 0))
  rp <- response_pattern(p)
  # a and c answered T1 and T2, b only T1
  expect_identical(rp$pattern, c("110", "100"))
  expect_identical(rp$n, c(2L, 1L))
  expect_identical(rp$T3, c(FALSE, FALSE))
  expect_identical(summary(p)$waves$retained, c(3L, 2L, 0L))
})

# response_pattern() -------------------------------------------------------

test_that("response_pattern() takes only a panel", {
  expect_pa_error(response_pattern(long_abc()), argument = "panel")
  expect_pa_error(response_pattern(NULL), argument = "panel")
  expect_pa_error(response_pattern(list(response = matrix(TRUE))),
                  argument = "panel")
})

# attrition_weights() and its diagnostics ---------------------------------

test_that("attrition_weights() names the argument of every wrong type", {
  p <- hand_panel(c(a = 7, b = 8, c = 6))
  f <- ~ g + age
  expect_pa_error(attrition_weights(long_abc(), f), argument = "panel")
  expect_pa_error(attrition_weights(p, "g"), argument = "formula")
  expect_pa_error(attrition_weights(p, r ~ g), argument = "formula")
  expect_pa_error(attrition_weights(p, ~ nope), argument = "formula")
  expect_pa_error(attrition_weights(p, f, method = "probit"),
                  argument = "method")
  expect_pa_error(attrition_weights(p, f, method = NA), argument = "method")
  expect_pa_error(attrition_weights(p, f, monotone = NA),
                  argument = "monotone")
  expect_pa_error(attrition_weights(p, f, stabilize = "yes"),
                  argument = "stabilize")
  expect_pa_error(attrition_weights(p, f, trim = 2), argument = "trim")
  expect_pa_error(attrition_weights(p, f, trim = NA_real_), argument = "trim")
  expect_pa_error(attrition_weights(p, f, cap = Inf), argument = "cap")
  expect_pa_error(attrition_weights(p, f, trim = 0.9, cap = 2),
                  argument = "trim")
  expect_pa_error(attrition_weights(p, f, bounds = c(2, 3)),
                  argument = "bounds")
  expect_pa_error(attrition_weights(p, f, method = "calibrate",
                                    calfun = "logit"),
                  argument = "bounds")
  expect_pa_error(attrition_weights(p, f, control = 5), argument = "control")
  expect_pa_error(attrition_weights(p, f, control = list(maxit = NA)),
                  argument = "control$maxit")
  expect_pa_error(attrition_weights(p, f, na_action = "drop"),
                  argument = "na_action")
  expect_pa_error(attrition_weights(p, f, history = "age",
                                    monotone = FALSE),
                  argument = "history")
  expect_pa_error(attrition_weights(p, f, history = 1), argument = "history")
  expect_pa_error(attrition_weights(p, f, margins = c(g = 1)),
                  argument = "margins")
  expect_pa_error(attrition_weights(p, f, method = "calibrate",
                                    numerator = ~ g),
                  argument = "numerator")
  expect_pa_error(attrition_weights(p, f, base = "g"), argument = "base")
})

test_that("missing and NaN covariates are missing-value errors", {
  p <- hand_panel(c(a = 7, b = 8, c = 6))
  p$baseline$age[c(2, 15)] <- c(NA, NaN)
  err <- expect_pa_error(attrition_weights(p, ~ g + age),
                         "panelattrition_missing_error")
  expect_identical(err$variables, "age")
  expect_identical(err$counts, 2)
})

test_that("an infinite covariate is an error that names the covariate", {
  # caught before the model: an error from fit_logit()/calibrate_weights()
  # would name their internal argument `x`, which the user never typed
  p <- hand_panel(c(a = 7, b = 8, c = 6))
  p$baseline$age[3] <- Inf
  for (method in c("logit", "calibrate")) {
    err <- expect_pa_error(attrition_weights(p, ~ g + age, method = method))
    expect_match(conditionMessage(err), "age", info = method)
    expect_false(identical(err$argument, "x"), info = method)
    expect_no_match(conditionMessage(err), "`x`", fixed = TRUE, info = method)
  }
})

test_that("a perfectly separated response: logit refuses, Firth is finite", {
  # nobody in group a answers T2, everyone in b does
  p <- hand_panel(c(a = 0, b = 10, c = 6))
  err <- expect_pa_error(attrition_weights(p, ~ g),
                         "panelattrition_separation_error")
  # Firth's estimate in a saturated model adds half a response and half a
  # nonresponse to each group: p = (answered + 1/2) / (n + 1).
  w <- attrition_weights(p, ~ g, method = "firth", stabilize = FALSE)
  prob <- c(a = 0.5 / 11, b = 10.5 / 11, c = 6.5 / 11)
  g <- p$baseline$g
  at2 <- p$response[, "T2"]
  expect_equal(unname(w$weights[at2, "T2"]), unname(1 / prob[g[at2]]),
               tolerance = 1e-8)
  expect_true(all(is.na(w$weights[!at2, "T2"])))
  # the diagnostics work on it; Kish's n_eff from the two weight values
  wb <- 11 / 10.5
  wc <- 11 / 6.5
  e <- ess(w)
  expect_identical(e$n, c(30L, 16L))
  expect_equal(e$ess[2], (10 * wb + 6 * wc)^2 / (10 * wb^2 + 6 * wc^2),
               tolerance = 1e-8)
  expect_identical(nrow(weights(w)), 46L)
  expect_true(all(response_models(w)$converged))
  # complete separation on a numeric covariate
  q <- hand_panel(c(a = 10, b = 10, c = 0))
  expect_pa_error(attrition_weights(q, ~ age),
                  "panelattrition_separation_error")
})

test_that("a single-level factor at risk is a weights error naming it", {
  p <- hand_panel(c(a = 7, b = 8, c = 6))
  p$baseline$g <- "a"
  err <- expect_pa_error(attrition_weights(p, ~ g + age),
                         "panelattrition_weights_error")
  expect_identical(err$variables, "g")
  expect_identical(err$stage, "T2")
})

test_that("a wave without respondents and an empty panel are weights errors", {
  p <- hand_panel(c(a = 0, b = 0, c = 0))
  err <- expect_pa_error(attrition_weights(p, ~ g + age),
                         "panelattrition_weights_error")
  expect_identical(err$wave, "T2")
  # an empty panel is refused when it is built (see above)
})

test_that("trimming that would cap every weight is an error", {
  # At T2 the weights are 10/7 for group a's 7 and 5 for group b's 2; the
  # 51% quantile is 10/7, so both 5s are capped, the excess lifts a's
  # weights above the cap, and nothing is left to carry the total.
  p <- hand_panel(c(a = 7, b = 2))
  w <- attrition_weights(p, ~ g, stabilize = FALSE)
  expect_equal(sort(unique(round(w$weights[, "T2"], 10))), c(10 / 7, 5))
  err <- expect_pa_error(attrition_weights(p, ~ g, stabilize = FALSE,
                                           trim = 0.51),
                         "panelattrition_weights_error")
  expect_identical(err$wave, "T2")
})

test_that("the diagnostics take only attrition weights", {
  p <- hand_panel(c(a = 7, b = 8, c = 6))
  w <- attrition_weights(p, ~ g)
  for (fun in list(ess, balance, response_models)) {
    expect_pa_error(fun(p), argument = "w")
    expect_pa_error(fun(NULL), argument = "w")
    expect_pa_error(fun(list()), argument = "w")
  }
  expect_pa_error(balance(w, threshold = -1), argument = "threshold")
  expect_pa_error(balance(w, threshold = NA), argument = "threshold")
  expect_pa_error(balance(w, threshold = "0.1"), argument = "threshold")
})

test_that("a long bootstrap can be interrupted, and leaves nothing broken", {
  # setTimeLimit() raises its error from R_CheckUserInterrupt(), the same
  # place a user's Ctrl-C is noticed, so it stands in for an interrupt
  s <- sim_panel(n = 1500, seed = 81)
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  started <- proc.time()[["elapsed"]]
  err <- tryCatch({
    setTimeLimit(elapsed = 1, transient = TRUE)
    replicate_weights(w, boot_control(B = 200000, seed = 5, threads = 1))
  }, error = identity, finally = setTimeLimit(elapsed = Inf))
  expect_s3_class(err, "error")
  expect_match(conditionMessage(err), "time limit")
  # stopped promptly, not after the 200,000 replicates
  expect_lt(proc.time()[["elapsed"]] - started, 30)
  # the engine still works and gives the same replicates as before
  a <- replicate_weights(w, boot_control(B = 20, seed = 5, threads = 1),
                         storage = "dense")
  b <- replicate_weights(w, boot_control(B = 20, seed = 5, threads = 1),
                         storage = "dense")
  expect_identical(a, b)
})
