# Expected values below are worked out by hand from the small inputs built in
# each test.

csv_file <- function(...) {
  path <- tempfile(fileext = ".csv")
  writeLines(c(...), path)
  path
}

# read_waves(): stacking and types ---------------------------------------

test_that("read_waves stacks waves with the union of columns in order", {
  t1 <- csv_file("id,age,score", "A1,30,1", "A2,41,2")
  t2 <- csv_file("id,score,mood", "A2,2.5,good", "A1,3,bad")
  res <- read_waves(c(T1 = t1, T2 = t2), id = "id")

  expect_s3_class(res, "data.frame")
  expect_identical(names(res), c("wave", "id", "age", "score", "mood"))
  expect_identical(res$wave, factor(c("T1", "T1", "T2", "T2"),
                                    levels = c("T1", "T2")))
  expect_identical(res$id, c("A1", "A2", "A2", "A1"))
  expect_identical(res$age, c(30L, 41L, NA, NA))
  expect_identical(res$score, c(1, 2, 2.5, 3))
  expect_identical(res$mood, c(NA, NA, "good", "bad"))
  expect_null(attr(res, "problems"))
})

test_that("read_waves keeps the wave order given, not alphabetical", {
  a <- csv_file("id,v", "A1,1")
  b <- csv_file("id,v", "A1,2")
  res <- read_waves(c(post = a, pre = b), id = "id")
  expect_identical(levels(res$wave), c("post", "pre"))
  expect_identical(res$v, c(1L, 2L))
})

test_that("read_waves widens column types across waves", {
  t1 <- csv_file("id,x,y", "A1,1,1", "A2,2,2")
  t2 <- csv_file("id,x,y", "A1,a,0.5", "A2,3,1.5")
  res <- read_waves(c(T1 = t1, T2 = t2), id = "id")
  expect_identical(res$x, c("1", "2", "a", "3"))
  expect_identical(res$y, c(1, 2, 0.5, 1.5))
})

test_that("stack_column follows logical < integer < double < character", {
  expect_identical(stack_column(list(c(TRUE, NA), 2L), c(2L, 1L)),
                   c(1L, NA, 2L))
  expect_identical(stack_column(list(1L, 2.5, NULL), c(1L, 1L, 2L)),
                   c(1, 2.5, NA, NA))
  expect_identical(stack_column(list(1e5, "b"), c(1L, 1L)),
                   c("100000", "b"))
  expect_identical(stack_column(list(NULL, FALSE), c(2L, 1L)),
                   c(NA, NA, FALSE))
  # An empty column read as logical NA does not turn dates into text.
  d <- as.Date("2024-01-31")
  expect_identical(stack_column(list(d, c(NA, NA)), c(1L, 2L)),
                   as.Date(c("2024-01-31", NA, NA)))
})

# read_waves(): ids --------------------------------------------------------

test_that("character ids are trimmed, matched without case, first spelling", {
  t1 <- csv_file("id,v", "AB12,1", "cd34,2")
  t2 <- csv_file("id,v", "\" ab12\",3", "\"CD34 \",4")
  t3 <- csv_file("id,v", "Ab12,5")
  res <- read_waves(c(T1 = t1, T2 = t2, T3 = t3), id = "id")

  expect_identical(names(res), c("wave", "id", "id_raw", "v"))
  expect_identical(res$id, c("AB12", "cd34", "AB12", "cd34", "AB12"))
  expect_identical(res$id_raw, c("AB12", "cd34", " ab12", "CD34 ", "Ab12"))
  expect_identical(res$v, 1:5)
})

test_that("a person first seen at T2 keeps the T2 spelling", {
  t1 <- csv_file("id,v", "A1,1")
  t2 <- csv_file("id,v", "b7,2", "A1,3")
  t3 <- csv_file("id,v", "B7,4")
  res <- suppressWarnings(
    read_waves(c(T1 = t1, T2 = t2, T3 = t3), id = "id", strict = FALSE)
  )
  expect_identical(res$id, c("A1", "b7", "A1", "b7"))
  expect_identical(res$id_raw, c("A1", "b7", "A1", "B7"))
})

test_that("no raw id column when no id changed", {
  t1 <- csv_file("id,v", "A1,1", "A2,2")
  t2 <- csv_file("id,v", "A2,3")
  res <- read_waves(c(T1 = t1, T2 = t2), id = "id")
  expect_identical(names(res), c("wave", "id", "v"))
})

test_that("numeric ids stay text unless col_types makes them numbers", {
  t1 <- csv_file("pid,v", "1,10", "2,20")
  t2 <- csv_file("pid,v", "2,21")
  # ids are names: read as written (until 0.2 they became numbers)
  res <- read_waves(c(T1 = t1, T2 = t2), id = "pid")
  expect_identical(names(res), c("wave", "pid", "v"))
  expect_identical(res$pid, c("1", "2", "2"))
  # asked for, they are numbers and used as they are
  res <- read_waves(c(T1 = t1, T2 = t2), id = "pid",
                    col_types = c(pid = "integer"))
  expect_identical(res$pid, c(1L, 2L, 2L))
})

test_that("missing ids are an error naming wave, file and rows", {
  t1 <- csv_file("id,v", "A1,1", "A2,2")
  t2 <- csv_file("id,v", "A1,1", ",2", "A2,3", ",4")
  err <- expect_error(read_waves(c(T1 = t1, T2 = t2), id = "id"),
                      class = "panelattrition_id_error")
  expect_match(conditionMessage(err), "wave T2", fixed = TRUE)
  expect_match(conditionMessage(err), basename(t2), fixed = TRUE)
  expect_match(conditionMessage(err), "2 missing, in rows 2, 4",
               fixed = TRUE)
  # Missing ids are never repaired.
  expect_error(read_waves(c(T1 = t1, T2 = t2), id = "id", strict = FALSE),
               class = "panelattrition_id_error")
})

test_that("an id column absent from a file is an error naming it", {
  t1 <- csv_file("id,v", "A1,1")
  t2 <- csv_file("ident,v", "A1,1")
  err <- expect_error(read_waves(c(T1 = t1, T2 = t2), id = "id"),
                      class = "panelattrition_id_error")
  expect_match(conditionMessage(err), "`id` is not in wave T2", fixed = TRUE)
  expect_match(conditionMessage(err), basename(t2), fixed = TRUE)
})

test_that("duplicated ids are an error with strict = TRUE", {
  t1 <- csv_file("id,v", "A1,1", "A2,2", "a1,3")
  err <- expect_error(read_waves(c(T1 = t1), id = "id"),
                      class = "panelattrition_id_error")
  msg <- conditionMessage(err)
  expect_match(msg, "wave T1", fixed = TRUE)
  expect_match(msg, "1 id appears more than once (1 extra row)", fixed = TRUE)
  expect_match(msg, "\"A1\" (rows 1, 3)", fixed = TRUE)
  expect_match(msg, "strict = FALSE", fixed = TRUE)
})

test_that("error examples stop at five", {
  t1 <- csv_file("id,v", paste0("X", 1:7, ",1"))
  t2 <- csv_file("id,v", paste0("Y", 1:7, ",2"))
  err <- expect_error(read_waves(c(T1 = t1, T2 = t2), id = "id"),
                      class = "panelattrition_id_error")
  msg <- conditionMessage(err)
  expect_match(msg, "7 ids are not in the first wave (T1)", fixed = TRUE)
  expect_match(msg, "\"Y5\" (row 5), ...", fixed = TRUE)
  expect_no_match(msg, "Y6", fixed = TRUE)
})

test_that("ids absent from the first wave are an error with strict = TRUE", {
  t1 <- csv_file("id,v", "A1,1")
  t2 <- csv_file("id,v", "A1,2", "B9,3")
  err <- expect_error(read_waves(c(T1 = t1, T2 = t2), id = "id"),
                      class = "panelattrition_id_error")
  msg <- conditionMessage(err)
  expect_match(msg, "wave T2", fixed = TRUE)
  expect_match(msg, "1 id is not in the first wave (T1)", fixed = TRUE)
  expect_match(msg, "\"B9\" (row 2)", fixed = TRUE)
})

test_that("strict = FALSE drops duplicates, keeps newcomers, lists both", {
  t1 <- csv_file("id,v", "A1,1", "A2,2", "a1,3")
  t2 <- csv_file("id,v", "A2,4", "B9,5", "A2,6", "b9,7")
  files <- c(T1 = t1, T2 = t2)
  expect_warning(
    res <- read_waves(files, id = "id", strict = FALSE),
    class = "panelattrition_warning"
  )
  expect_identical(res$id, c("A1", "A2", "A2", "B9"))
  expect_identical(res$v, c(1L, 2L, 4L, 5L))

  probs <- attr(res, "problems")
  expect_identical(as.character(probs$wave), c("T1", "T2", "T2", "T2"))
  expect_identical(probs$row, c(3L, 2L, 3L, 4L))
  expect_identical(probs$id, c("a1", "B9", "A2", "b9"))
  expect_identical(probs$problem, c("duplicated id", "absent from first wave",
                                    "duplicated id", "duplicated id"))
  expect_identical(probs$action, c("row dropped", "kept", "row dropped",
                                   "row dropped"))

  # Every row read is either in the result or listed as dropped: 7 = 4 + 3.
  rows_read <- sum(vapply(files, function(f) nrow(read_survey(f)), 1L))
  expect_identical(rows_read, 7L)
  expect_identical(
    rows_read, nrow(res) + sum(probs$action == "row dropped")
  )
})

test_that("the warning says what was repaired", {
  t1 <- csv_file("id,v", "A1,1", "A1,2")
  t2 <- csv_file("id,v", "Z1,3")
  expect_warning(
    read_waves(c(T1 = t1, T2 = t2), id = "id", strict = FALSE),
    "T1: 1 duplicated row dropped; T2: 1 id absent from T1 kept",
    fixed = TRUE
  )
})

test_that("reader problems are carried over with their wave", {
  t1 <- csv_file("id,v", "A1,1", "A2,2")
  t2 <- csv_file("id,v", "A1,3", "A2,4,99")
  read_alone <- suppressWarnings(read_survey(t2, strict = FALSE))
  from_reader <- attr(read_alone, "problems")
  expect_gt(nrow(from_reader), 0L)

  res <- suppressWarnings(
    read_waves(c(T1 = t1, T2 = t2), id = "id", strict = FALSE)
  )
  probs <- attr(res, "problems")
  expect_identical(nrow(probs), nrow(from_reader))
  expect_identical(as.character(probs$wave), rep("T2", nrow(from_reader)))
  expect_identical(probs$problem, rep("reader", nrow(from_reader)))
  expect_identical(probs$row, as.integer(from_reader$row))
  expect_identical(probs$action, as.character(from_reader$action))
})

test_that("read_waves checks its arguments", {
  t1 <- csv_file("id,v", "A1,1")
  expect_error(read_waves(t1, id = "id"), class = "panelattrition_arg_error")
  expect_error(read_waves(c(T1 = t1, T1 = t1), id = "id"),
               "\"T1\" appears more than once",
               class = "panelattrition_arg_error")
  expect_error(read_waves(stats::setNames(c(t1, t1), c("T1", "")), id = "id"),
               class = "panelattrition_arg_error")
  expect_error(read_waves(list(T1 = t1), id = "id"),
               class = "panelattrition_arg_error")
  expect_error(read_waves(c(T1 = t1), id = 1),
               class = "panelattrition_arg_error")
  expect_error(read_waves(c(T1 = t1), id = "id", strict = NA),
               class = "panelattrition_arg_error")
  has_wave <- csv_file("id,wave", "A1,1")
  expect_error(read_waves(c(T1 = has_wave), id = "id"), "column named `wave`",
               class = "panelattrition_panel_error")
})

# panel_data() -------------------------------------------------------------

long <- data.frame(
  pid = c("c", "a", "a", "b", "c", "a"),
  t = c("T1", "T1", "T2", "T1", "T3", "T3"),
  sex = c("f", "m", NA, "f", "f", "m"),
  score = c(1, 2, 3, 4, 5, 6)
)

test_that("panel_data records who answered when", {
  p <- panel_data(long, id = "pid", wave = "t", baseline = "sex")
  expect_s3_class(p, "pa_panel")
  expect_identical(p$id, "pid")
  expect_identical(p$wave, "t")
  expect_identical(p$waves, c("T1", "T2", "T3"))
  expect_identical(p$ids, c("c", "a", "b"))
  expect_false(p$frame_given)
  expected <- matrix(
    c(TRUE, FALSE, TRUE,
      TRUE, TRUE, TRUE,
      TRUE, FALSE, FALSE),
    nrow = 3, byrow = TRUE,
    dimnames = list(c("c", "a", "b"), c("T1", "T2", "T3"))
  )
  expect_identical(p$response, expected)
  # Rows ordered by person (first appearance) then wave.
  expect_identical(p$data$score, c(1, 5, 2, 3, 6, 4))
  expect_identical(p$data$t, factor(c("T1", "T3", "T1", "T2", "T3", "T1"),
                                    levels = c("T1", "T2", "T3")))
  expect_identical(rownames(p$data), as.character(1:6))
  expect_identical(p$baseline,
                   data.frame(pid = c("c", "a", "b"), sex = c("f", "m", "f")))
})

test_that("waves are sorted numerically, or taken from factor levels", {
  d <- data.frame(id = c(1, 1, 2), w = c(10, 2, 2))
  p <- panel_data(d, "id", "w")
  expect_identical(p$waves, c("2", "10"))
  expect_identical(unname(p$response[, "10"]), c(TRUE, FALSE))

  d2 <- long
  d2$t <- factor(d2$t, levels = c("T0", "T1", "T2", "T3"))
  p2 <- panel_data(d2, "pid", "t")
  expect_identical(p2$waves, c("T0", "T1", "T2", "T3"))
  expect_identical(unname(colSums(p2$response)), c(0, 3, 1, 2))
})

test_that("waves given set the order and may include unanswered waves", {
  p <- panel_data(long, "pid", "t", waves = c("T1", "T2", "T3", "T4"))
  expect_identical(colnames(p$response), c("T1", "T2", "T3", "T4"))
  expect_identical(unname(colSums(p$response)), c(3, 1, 2, 0))
  expect_identical(levels(p$data$t), c("T1", "T2", "T3", "T4"))

  err <- expect_error(panel_data(long, "pid", "t", waves = c("T1", "T2")),
                      class = "panelattrition_panel_error")
  expect_match(conditionMessage(err), "\"T3\" (2 rows)", fixed = TRUE)
})

test_that("a frame adds people who never answered, in frame order", {
  frame <- data.frame(pid = c("b", "a", "c", "d"),
                      region = c("N", "S", "S", "N"),
                      sex = c("x", "x", "x", "x"))
  p <- panel_data(long, "pid", "t", frame = frame[, 1:2],
                  baseline = c("region", "sex"))
  expect_true(p$frame_given)
  expect_identical(p$ids, c("b", "a", "c", "d"))
  expect_identical(unname(rowSums(p$response)), c(1, 3, 2, 0))
  expect_identical(p$data$pid, c("b", "a", "a", "a", "c", "c"))
  # region from the frame, sex from the answers (NA for who never answered)
  expect_identical(p$baseline, data.frame(
    pid = c("b", "a", "c", "d"),
    region = c("N", "S", "S", "N"),
    sex = c("f", "m", "f", NA)
  ))
  # A covariate in the frame is taken from the frame.
  p2 <- panel_data(long, "pid", "t", frame = frame, baseline = "sex")
  expect_identical(p2$baseline$sex, rep("x", 4))
})

test_that("baseline takes the first reported value; NA if never reported", {
  d <- data.frame(id = c("a", "a", "b"), w = c(2, 1, 1),
                  g = c("x", NA, NA), age = c(30L, 30L, NA))
  p <- panel_data(d, "id", "w", baseline = c("g", "age"))
  expect_identical(p$baseline,
                   data.frame(id = c("a", "b"), g = c("x", NA),
                              age = c(30L, NA)))
})

test_that("panel_data errors are classed and say what is wrong", {
  expect_error(panel_data(list(a = 1), "a", "b"),
               class = "panelattrition_arg_error")
  expect_error(panel_data(long, "pid", "pid"),
               class = "panelattrition_arg_error")
  expect_error(panel_data(long, "pid", "t", frame = "x"),
               class = "panelattrition_arg_error")
  expect_error(panel_data(long, "pid", "t", baseline = 1),
               class = "panelattrition_arg_error")
  expect_error(panel_data(long, "pid", "t", waves = c("T1", "T1", "T3")),
               class = "panelattrition_arg_error")

  expect_error(panel_data(long, "person", "t"), "`person`",
               class = "panelattrition_panel_error")
  expect_error(panel_data(long, "pid", "time"), "`time`",
               class = "panelattrition_panel_error")

  d <- long
  d$pid[c(2, 5)] <- c(NA, " ")
  expect_error(panel_data(d, "pid", "t"), "2 missing values, in rows 2, 5",
               fixed = TRUE, class = "panelattrition_panel_error")
  d <- long
  d$t[4] <- NA
  expect_error(panel_data(d, "pid", "t"), "1 missing value, in row 4",
               fixed = TRUE, class = "panelattrition_panel_error")

  d <- rbind(long, data.frame(pid = "a", t = "T1", sex = "m", score = 7))
  err <- expect_error(panel_data(d, "pid", "t"),
                      class = "panelattrition_panel_error")
  expect_match(conditionMessage(err), "1 row repeats", fixed = TRUE)
  expect_match(conditionMessage(err), "id \"a\" at wave \"T1\" (rows 2, 7)",
               fixed = TRUE)
})

test_that("frame problems are classed errors naming the ids", {
  expect_error(panel_data(long, "pid", "t", frame = data.frame(id = "a")),
               "`pid`", class = "panelattrition_panel_error")
  err <- expect_error(
    panel_data(long, "pid", "t", frame = data.frame(pid = c("a", "b"))),
    class = "panelattrition_panel_error"
  )
  expect_match(conditionMessage(err), "1 id in `data` is not in `frame`: \"c\"",
               fixed = TRUE)
  err <- expect_error(
    panel_data(long, "pid", "t",
               frame = data.frame(pid = c("a", "b", "c", "b"))),
    class = "panelattrition_panel_error"
  )
  expect_match(conditionMessage(err), "1 id appears more than once: \"b\"",
               fixed = TRUE)
})

test_that("baseline covariates that change within a person are an error", {
  d <- long
  d$sex[6] <- "f"
  err <- expect_error(panel_data(d, "pid", "t", baseline = "sex"),
                      class = "panelattrition_panel_error")
  msg <- conditionMessage(err)
  expect_match(msg, "`sex`", fixed = TRUE)
  expect_match(msg, "for 1 person", fixed = TRUE)
  expect_match(msg, "\"a\" (\"m\", \"f\")", fixed = TRUE)

  err <- expect_error(panel_data(long, "pid", "t",
                                 baseline = c("sex", "age", "edu")),
                      class = "panelattrition_panel_error")
  expect_match(conditionMessage(err), "`age`, `edu`", fixed = TRUE)
})

# Patterns and summaries -------------------------------------------------

test_that("response_pattern counts patterns, most common first", {
  d <- data.frame(
    id = c(1, 2, 3, 4, 5, 1, 2, 3, 1, 4),
    w = c(1, 1, 1, 1, 1, 2, 2, 2, 3, 3)
  )
  # 1: 111, 2: 110, 3: 110, 4: 101, 5: 100
  pat <- response_pattern(panel_data(d, "id", "w"))
  expect_s3_class(pat, "pa_pattern")
  expect_identical(names(pat), c("pattern", "1", "2", "3", "n", "percent"))
  expect_identical(pat$pattern, c("110", "100", "101", "111"))
  expect_identical(pat$n, c(2L, 1L, 1L, 1L))
  expect_equal(pat$percent, c(40, 20, 20, 20))
  expect_identical(pat[["2"]], c(TRUE, FALSE, FALSE, TRUE))
  expect_identical(sum(pat$n), 5L)

  expect_output(shown <- withVisible(print(pat)), "110 +2 +40.0%")
  expect_false(shown$visible)
  expect_identical(shown$value, pat)
  expect_error(response_pattern(d), class = "panelattrition_arg_error")
})

test_that("summary reports answers, retention and returns", {
  s <- summary(panel_data(long, "pid", "t"))
  expect_s3_class(s, "summary.pa_panel")
  expect_identical(s$n_people, 3L)
  expect_identical(s$waves$n, c(3L, 1L, 2L))
  expect_identical(s$waves$retained, c(3L, 1L, 2L))
  expect_equal(s$waves$pct_retained, c(100, 100 / 3, 200 / 3))
  expect_null(s$waves$pct_frame)
  expect_identical(s$returned, 1L)
  expect_identical(s$late_entry, 0L)
  expect_false(s$monotone)
  expect_identical(s$patterns$pattern, c("100", "101", "111"))
  expect_output(shown <- withVisible(print(s)),
                "1 person answered again after missing a wave")
  expect_false(shown$visible)
  expect_identical(shown$value, s)
})

test_that("summary with a frame gives response rates of the frame", {
  frame <- data.frame(pid = c("a", "b", "c", "d", "e"))
  d <- long[long$pid != "c" | long$t != "T1", ]
  # a 111, b 100, c 001, d and e never answered
  s <- summary(panel_data(d, "pid", "t", frame = frame))
  expect_identical(s$n_people, 5L)
  expect_identical(s$n_respondents, 3L)
  expect_identical(s$waves$n, c(2L, 1L, 2L))
  expect_identical(s$waves$retained, c(2L, 1L, 1L))
  expect_equal(s$waves$pct_retained, c(100, 50, 50))
  expect_equal(s$waves$pct_frame, c(40, 20, 40))
  expect_identical(s$returned, 0L)
  expect_identical(s$late_entry, 1L)
  expect_false(s$monotone)
  expect_identical(s$patterns$pattern, c("000", "001", "100", "111"))
  expect_equal(s$patterns$percent, c(40, 20, 20, 20))
})

test_that("monotone dropout is recognised", {
  d <- data.frame(id = c("a", "a", "b"), w = c("T1", "T2", "T1"))
  s <- summary(panel_data(d, "id", "w"))
  expect_true(s$monotone)
  expect_output(print(s), "Dropout is monotone")
})

test_that("print.pa_panel describes the panel and returns it invisibly", {
  p <- panel_data(long, "pid", "t", baseline = "sex")
  expect_output(print(p), "3 people, 3 waves (T1, T2, T3), 6 rows",
                fixed = TRUE)
  expect_output(shown <- withVisible(print(p)),
                "Answered: T1 3, T2 1, T3 2", fixed = TRUE)
  expect_false(shown$visible)
  expect_identical(shown$value, p)
})

test_that("the shipped example exports make a panel", {
  files <- c(
    T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
    T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
    T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
  )
  skip_if(any(files == ""), "example exports not installed")
  answers <- read_waves(files, id = "id")
  # Oracle: the same files read with utils::read.csv / read.csv2.
  w1 <- utils::read.csv(files[["T1"]])
  w2 <- utils::read.csv2(files[["T2"]])
  w3 <- utils::read.csv(files[["T3"]], strip.white = TRUE)
  expect_identical(nrow(answers), nrow(w1) + nrow(w2) + nrow(w3))
  expect_identical(answers$self_efficacy[answers$wave == "T2"],
                   w2$self_efficacy)
  expect_identical(sum(answers$id != answers$id_raw), 4L)
  expect_true(all(toupper(trimws(w3$id)) %in% answers$id))

  p <- panel_data(answers, "id", "wave",
                  baseline = c("group", "gender", "age"))
  expect_identical(length(p$ids), nrow(w1))
  expect_identical(unname(colSums(p$response)),
                   as.numeric(c(nrow(w1), nrow(w2), nrow(w3))))
  expect_identical(p$baseline$group, w1$group)
})
