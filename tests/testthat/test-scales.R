# Expected scores below are worked out by hand from the small inputs built in
# each test; reliability is checked against psych::alpha() and against data
# whose covariance matrix is known exactly.

# score_scale(): scoring ----------------------------------------------------

three_items <- function() {
  data.frame(
    q1 = c(4, 2, 5, NA),
    q2 = c(5L, 1L, NA, NA),
    q3 = c(2, 4, 1, 3)
  )
}

test_that("score_scale reverses items as low + high - x and averages", {
  d <- three_items()
  # q3 reversed on 1-5: 4, 2, 5, 3
  s <- score_scale(d, c("q1", "q2", "q3"), reverse = "q3", range = c(1, 5))
  expect_equal(as.vector(s), c(13 / 3, 5 / 3, NA, NA))
  expect_identical(attr(s, "n_items"), c(3L, 3L, 2L, 1L))

  s <- score_scale(d, c("q1", "q2", "q3"), reverse = "q3", range = c(1, 5),
                   min_items = 2)
  expect_equal(as.vector(s), c(13 / 3, 5 / 3, 5, NA))

  s <- score_scale(d, c("q1", "q2", "q3"), reverse = "q3", range = c(1, 5),
                   min_items = 1)
  expect_equal(as.vector(s), c(13 / 3, 5 / 3, 5, 3))
})

test_that("score_scale's sum is prorated over skipped items", {
  d <- three_items()
  s <- score_scale(d, c("q1", "q2", "q3"), reverse = "q3", range = c(1, 5),
                   min_items = 1, fun = "sum")
  # full rows: plain sums; row 3 answered 5 and 5 -> 5 * 3; row 4: 3 * 3
  expect_equal(as.vector(s), c(13, 5, 15, 9))
  expect_identical(attr(s, "n_items"), c(3L, 3L, 2L, 1L))

  s <- score_scale(d, c("q1", "q3"), fun = "sum")
  expect_equal(as.vector(s), c(6, 6, 6, NA))
})

test_that("score_scale reverses on a 0-based range and leaves others alone", {
  d <- data.frame(a = c(0, 5, 2), b = c(0, 5, 2))
  s <- score_scale(d, c("a", "b"), reverse = "b", range = c(0, 5), fun = "sum")
  expect_equal(as.vector(s), c(5, 5, 5))
  s <- score_scale(d, "b", reverse = "b", range = c(0, 5))
  expect_equal(as.vector(s), c(5, 0, 3))
})

test_that("score_scale keeps one score per row of long data and empty data", {
  long <- data.frame(id = c("A", "A", "B"), wave = c("T1", "T2", "T1"),
                     x1 = c(1, 2, 3), x2 = c(3, 4, NA))
  s <- score_scale(long, c("x1", "x2"), min_items = 1)
  expect_equal(as.vector(s), c(2, 3, 3))
  expect_length(s, nrow(long))

  s <- score_scale(long[0, ], c("x1", "x2"))
  expect_identical(as.vector(s), numeric(0))
  expect_identical(attr(s, "n_items"), integer(0))
})

test_that("score_scale accepts an all-NA logical item as unanswered", {
  d <- data.frame(x1 = c(2, 4), x2 = c(NA, NA))
  s <- score_scale(d, c("x1", "x2"), range = c(1, 5), min_items = 1,
                   fun = "sum")
  expect_equal(as.vector(s), c(4, 8))
  expect_identical(attr(s, "n_items"), c(1L, 1L))
})

# score_scale(): errors -----------------------------------------------------

test_that("score_scale names missing item columns", {
  d <- three_items()
  err <- expect_error(score_scale(d, c("q1", "q9", "q8")),
                      class = "panelattrition_scale_error")
  expect_s3_class(err, "panelattrition_error")
  expect_identical(err$items, c("q9", "q8"))
  expect_identical(conditionMessage(err),
                   "score_scale(): Item columns are not in `data`: `q9`, `q8`.")
})

test_that("score_scale refuses non-numeric items, naming them", {
  d <- data.frame(a = c(1, 2), b = c("1", "2"), c = factor(c("x", "y")),
                  e = c(TRUE, NA))
  err <- expect_error(score_scale(d, c("a", "b", "c", "e")),
                      class = "panelattrition_scale_error")
  expect_identical(err$items, c("b", "c", "e"))
  expect_match(conditionMessage(err), "`b` is of type character", fixed = TRUE)
  expect_match(conditionMessage(err), "`c` is a factor", fixed = TRUE)
  expect_match(conditionMessage(err), "`e` is logical", fixed = TRUE)
})

test_that("out-of-range and fractional values name item, rows and count", {
  d <- data.frame(
    ok = c(1, 2, 3, 4, 5, 1, 2, 3, 4),
    q1 = c(1, 7, 3, 0, 2.5, 6, 9, 8, 1),
    q2 = c(1, 2, 3, 4, 5, 1, 2, NA, 5.5)
  )
  err <- expect_error(
    score_scale(d, c("ok", "q1", "q2"), range = c(1, 5)),
    class = "panelattrition_scale_error"
  )
  expect_identical(err$items, c("q1", "q2"))
  expect_identical(err$rows, list(q1 = c(2L, 4L, 5L, 6L, 7L, 8L), q2 = 9L))
  expect_identical(
    conditionMessage(err),
    paste0(
      "score_scale(): Items must hold whole numbers from 1 to 5 (`range`); found other ",
      "values:\n",
      "* `q1`, 6 rows (2, 4, 5, 6, 7, ...): 7, 0, 2.5, 6, 9, ...\n",
      "* `q2`, 1 row (9): 5.5"
    )
  )
})

test_that("without range only infinite values are refused", {
  d <- data.frame(x = c(1.5, -3, Inf, NA))
  expect_equal(as.vector(score_scale(d[1:2, , drop = FALSE], "x")),
               c(1.5, -3))
  err <- expect_error(score_scale(d, "x"),
                      class = "panelattrition_scale_error")
  expect_identical(err$rows, list(x = 3L))
  expect_match(conditionMessage(err), "* `x`, 1 row (3): Inf",
               fixed = TRUE)
})

test_that("score_scale checks its arguments", {
  d <- three_items()
  items <- c("q1", "q2", "q3")
  err <- expect_error(score_scale(d, items, reverse = "q3"),
                      class = "panelattrition_arg_error")
  expect_identical(err$argument, "range")
  err <- expect_error(score_scale(d, items, reverse = "q7", range = c(1, 5)),
                      class = "panelattrition_arg_error")
  expect_identical(conditionMessage(err),
                   "score_scale(): `reverse` must name items listed in `items`; `q7` is not.")
  err <- expect_error(score_scale(d, items, min_items = 4),
                      class = "panelattrition_arg_error")
  expect_identical(conditionMessage(err),
                   "score_scale(): `min_items` must be a whole number from 1 to 3, not 4.")
  expect_error(score_scale(d, items, min_items = 1.5),
               class = "panelattrition_arg_error")
  err <- expect_error(score_scale(d, items, range = c(5, 1)),
                      class = "panelattrition_arg_error")
  expect_identical(err$argument, "range")
  expect_error(score_scale(d, items, range = c(1, 4.5)),
               class = "panelattrition_arg_error")
  err <- expect_error(score_scale(d, items, fun = "median"),
                      class = "panelattrition_arg_error")
  expect_identical(err$argument, "fun")
  err <- expect_error(score_scale(d, c("q1", "q1")),
                      class = "panelattrition_arg_error")
  expect_match(conditionMessage(err), "`q1` appears more than once",
               fixed = TRUE)
  expect_error(score_scale(as.matrix(d), items),
               class = "panelattrition_arg_error")
  expect_error(score_scale(d, character()),
               class = "panelattrition_arg_error")
})

# scale_reliability() ---------------------------------------------------------

# 300 people, 6 five-point items driven by one factor, plus one item keyed
# the other way; a few answers missing.
likert_fixture <- function() {
  set.seed(20230611)
  n <- 300
  trait <- rnorm(n)
  rate <- function(loading) {
    z <- loading * trait + sqrt(1 - loading^2) * rnorm(n)
    findInterval(z, c(-1.5, -0.5, 0.5, 1.5)) + 1L
  }
  d <- data.frame(
    i1 = rate(0.8), i2 = rate(0.7), i3 = rate(0.75),
    i4 = rate(0.6), i5 = rate(0.65), i6 = rate(0.7), i7 = rate(-0.7)
  )
  d$i2[c(5, 17, 230)] <- NA
  d$i6[c(17, 120)] <- NA
  d
}

test_that("scale_reliability equals psych::alpha() on complete cases", {
  skip_if_not_installed("psych")
  d <- likert_fixture()
  items <- paste0("i", 1:7)
  before <- scale_reliability(d, items)
  expect_match(before$notes[1], "`i7` correlates negatively", fixed = TRUE)

  d$i7 <- as.vector(score_scale(d, "i7", reverse = "i7", range = c(1, 5)))
  rel <- scale_reliability(d, items)
  expect_s3_class(rel, "pa_reliability")
  expect_identical(rel$n, 296L)
  expect_identical(rel$n_dropped, 4L)
  expect_identical(rel$notes, character())

  complete <- stats::na.omit(d[items])
  ref <- suppressWarnings(psych::alpha(complete, warnings = FALSE))
  expect_equal(rel$alpha, ref$total$raw_alpha, tolerance = 1e-10)
  expect_equal(rel$std_alpha, ref$total$std.alpha, tolerance = 1e-10)
  expect_equal(rel$items$item_rest_cor, ref$item.stats$r.drop,
               tolerance = 1e-10)
  expect_equal(rel$items$alpha_if_dropped, ref$alpha.drop$raw_alpha,
               tolerance = 1e-10)
  expect_equal(rel$items$mean, ref$item.stats$mean, tolerance = 1e-10)
  expect_equal(rel$items$sd, ref$item.stats$sd, tolerance = 1e-10)
  expect_identical(rel$items$item, items)
})

test_that("the interval for alpha is Feldt's F interval", {
  d <- likert_fixture()
  d$i7 <- 6L - d$i7
  items <- paste0("i", 1:7)
  n <- 296
  k <- 7
  for (level in c(0.95, 0.9)) {
    rel <- scale_reliability(d, items, conf_level = level)
    g <- 1 - level
    expect_equal(
      rel$alpha_ci,
      c(lower = 1 - (1 - rel$alpha) * qf(1 - g / 2, n - 1, (n - 1) * (k - 1)),
        upper = 1 - (1 - rel$alpha) * qf(g / 2, n - 1, (n - 1) * (k - 1))),
      tolerance = 1e-12
    )
    expect_lt(rel$alpha_ci[["lower"]], rel$alpha)
    expect_gt(rel$alpha_ci[["upper"]], rel$alpha)
  }
})

test_that("omega is the one-factor ML omega of the item correlations", {
  d <- likert_fixture()
  d$i7 <- 6L - d$i7
  items <- paste0("i", 1:7)
  rel <- scale_reliability(d, items)
  complete <- stats::na.omit(d[items])
  fa <- stats::factanal(covmat = cor(complete), factors = 1,
                        n.obs = nrow(complete))
  lambda <- abs(fa$loadings[, 1])
  expect_equal(rel$omega,
               sum(lambda)^2 / (sum(lambda)^2 + sum(fa$uniquenesses)),
               tolerance = 1e-10)
  expect_equal(unname(rel$loadings), unname(lambda), tolerance = 1e-10)
})

test_that("alpha and omega match a covariance matrix known exactly", {
  # Data whose sample covariance is exactly D R D, R from one factor.
  set.seed(7)
  lambda <- c(0.8, 0.7, 0.6, 0.5)
  sds <- c(1, 2, 0.5, 1.5)
  R <- tcrossprod(lambda)
  diag(R) <- 1
  C <- diag(sds) %*% R %*% diag(sds)
  z <- scale(matrix(rnorm(400), 100, 4), scale = FALSE)
  z <- z %*% solve(chol(cov(z))) %*% chol(C)
  d <- as.data.frame(z)
  rel <- scale_reliability(d, names(d))
  expect_equal(rel$alpha, 4 / 3 * (1 - sum(sds^2) / sum(C)),
               tolerance = 1e-12)
  expect_equal(rel$std_alpha, 4 / 3 * (1 - 4 / sum(R)), tolerance = 1e-12)
  # The model fits exactly, so ML recovers the loadings.
  expect_equal(unname(rel$loadings), lambda, tolerance = 1e-4)
  expect_equal(rel$omega,
               sum(lambda)^2 / (sum(lambda)^2 + sum(1 - lambda^2)),
               tolerance = 1e-5)
  # Item 4 with the sum of items 1-3
  rest <- c(1, 1, 1, 0)
  expect_equal(rel$items$item_rest_cor[4],
               sum(C[4, ] * rest) / sqrt(C[4, 4] * sum(C[1:3, 1:3])),
               tolerance = 1e-12)
  expect_equal(rel$items$sd, sds, tolerance = 1e-12)
})

test_that("two items: alpha by hand, no omega and no alpha-if-dropped", {
  # var 2.5 and 2.5, covariance 2: alpha = 4 * 2 / (2.5 + 2.5 + 4) = 8/9
  d <- data.frame(x1 = c(1, 2, 3, 4, 5, NA), x2 = c(2, 1, 4, 3, 5, 1))
  rel <- scale_reliability(d, c("x1", "x2"))
  expect_equal(rel$alpha, 8 / 9)
  expect_equal(rel$std_alpha, 8 / 9)
  expect_equal(rel$items$item_rest_cor, c(0.8, 0.8))
  expect_identical(rel$items$alpha_if_dropped, c(NA_real_, NA_real_))
  expect_equal(rel$items$mean, c(3, 3))
  expect_identical(rel$omega, NA_real_)
  expect_identical(rel$n, 5L)
  expect_identical(rel$n_dropped, 1L)
  expect_match(rel$notes, "Omega needs at least 3 items", fixed = TRUE)
})

test_that("scale_reliability refuses what it cannot estimate", {
  d <- data.frame(a = c(1, 2, 3, 4), b = c(2, 2, 2, 2), c = c(1, 3, 2, 4))
  err <- expect_error(scale_reliability(d, c("a", "b", "c")),
                      class = "panelattrition_scale_error")
  expect_identical(err$items, "b")
  err <- expect_error(scale_reliability(d, "a"),
                      class = "panelattrition_arg_error")
  d$a[1:3] <- NA
  expect_error(scale_reliability(d, c("a", "c")),
               "at least 3 rows", class = "panelattrition_scale_error")
  expect_error(scale_reliability(d, c("a", "c"), conf_level = 95),
               class = "panelattrition_arg_error")
})

test_that("print shows the summary and returns the object invisibly", {
  d <- data.frame(x1 = c(1, 2, 3, 4, 5, NA), x2 = c(2, 1, 4, 3, 5, 1))
  rel <- scale_reliability(d, c("x1", "x2"))
  out <- capture.output(res <- withVisible(print(rel)))
  expect_false(res$visible)
  expect_identical(res$value, rel)
  expect_identical(
    out[1],
    paste("Reliability of 2 items, 5 complete cases",
          "(1 row with a missing item dropped)")
  )
  expect_match(out[2], "Cronbach's alpha 0.889 (95% CI", fixed = TRUE)
  expect_match(out[3], "omega (total, one-factor ML) NA", fixed = TRUE)
})

# instruments() -------------------------------------------------------------

test_that("instruments() lists the scoring rules of the three instruments", {
  rules <- instruments()
  expect_s3_class(rules, "data.frame")
  expect_identical(rules$instrument,
                   c(rep("mhc_sf", 4), "gse", "goal_reengagement"))
  expect_identical(rules$scale, c("total", "emotional", "social",
                                  "psychological", "total", "total"))
  expect_identical(rules$n_items, c(14L, 3L, 5L, 6L, 10L, 6L))
  expect_identical(rules$items[2:4], c("1, 2, 3", "4, 5, 6, 7, 8",
                                       "9, 10, 11, 12, 13, 14"))
  expect_identical(rules$items[1], paste(1:14, collapse = ", "))
  expect_equal(rules$range_low, c(0, 0, 0, 0, 1, 1))
  expect_equal(rules$range_high, c(5, 5, 5, 5, 4, 5))
  expect_identical(rules$reverse, rep("", 6))
  expect_identical(rules$min_items, c(14L, 3L, 5L, 6L, 7L, 5L))
  expect_identical(rules$fun, c("sum", "sum", "sum", "sum", "mean", "mean"))
  expect_equal(rules$score_low, c(0, 0, 0, 0, 1, 1))
  expect_equal(rules$score_high, c(70, 15, 25, 30, 4, 5))
  expect_match(rules$reference[1:4], "Keyes", fixed = TRUE)
  expect_match(rules$reference[5], "Schwarzer", fixed = TRUE)
  expect_match(rules$reference[6], "Wrosch", fixed = TRUE)
  # a table a user can write out as it is
  path <- tempfile(fileext = ".csv")
  utils::write.csv(rules, path, row.names = FALSE)
  expect_identical(utils::read.csv(path)$n_items, rules$n_items)
})

# score_instrument() -----------------------------------------------------------

mhc_rows <- function(...) {
  m <- rbind(...)
  d <- as.data.frame(m)
  names(d) <- paste0("mhc", 1:14)
  d
}

test_that("score_instrument adds the MHC-SF sums to long data", {
  items <- mhc_rows(
    rep(3, 14),
    c(5, 4, 3, 0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0),
    c(1, 2, 3, 4, NA, 4, 4, 4, 5, 5, 5, 5, 5, 5)
  )
  long <- cbind(data.frame(id = c("A", "A", "B"), wave = c("T1", "T2", "T1")),
                items)
  res <- score_instrument(long, "mhc_sf", prefix = "mhc")
  expect_identical(names(res), c(names(long), "mhc_total", "mhc_emotional",
                                 "mhc_social", "mhc_psychological"))
  expect_identical(res[names(long)], long)
  expect_equal(res$mhc_total, c(42, 37, NA))
  expect_equal(res$mhc_emotional, c(9, 12, 6))
  expect_equal(res$mhc_social, c(15, 10, NA))
  expect_equal(res$mhc_psychological, c(18, 15, 30))
  expect_null(attributes(res$mhc_total))

  one <- score_instrument(long, "mhc_sf", prefix = "mhc",
                          scales = "emotional")
  expect_identical(setdiff(names(one), names(long)), "mhc_emotional")
  # only the emotional items are needed for the emotional scale
  one <- score_instrument(long[c("id", "mhc1", "mhc2", "mhc3")], "mhc_sf",
                          prefix = "mhc", scales = "emotional")
  expect_equal(one$mhc_emotional, c(9, 12, 6))
})

test_that("score_instrument scores GSE and goal re-engagement as means", {
  gse <- as.data.frame(matrix(c(
    3, 3, 2, 3, 2, 3, 3, 4, 3, 2,              # mean 2.8
    4, NA, NA, NA, 4, 4, 4, 4, 4, 1,           # 7 answered: 25 / 7
    2, NA, 2, 1, NA, 2, 2, NA, 2, NA           # 6 answered: NA
  ), nrow = 3, byrow = TRUE))
  names(gse) <- paste0("se", 1:10)
  res <- score_instrument(gse, "gse", prefix = "se")
  expect_equal(res$se_total, c(2.8, 25 / 7, NA))

  gre <- data.frame(g1 = c(5, 1, NA), g2 = c(4, 2, NA), g3 = c(4, 1, 3),
                    g4 = c(3, NA, 3), g5 = c(5, 1, 3), g6 = c(3, 5, 3))
  res <- score_instrument(gre, "goal_reengagement", prefix = "g")
  expect_equal(res$g_total, c(4, 2, NA))
})

test_that("score_instrument names missing columns and bad answers", {
  items <- mhc_rows(rep(3, 14), rep(2, 14))
  err <- expect_error(
    score_instrument(items[-c(13, 14)], "mhc_sf", prefix = "mhc"),
    class = "panelattrition_scale_error"
  )
  expect_identical(err$items, c("mhc13", "mhc14"))
  expect_identical(
    conditionMessage(err),
    paste("score_instrument(): Item columns are not in `data`: `mhc13`, `mhc14`. Items of",
          "\"mhc_sf\" are read from columns `mhc1` to `mhc14` (`prefix` =",
          "\"mhc\").")
  )
  items$mhc7[2] <- 6
  err <- expect_error(score_instrument(items, "mhc_sf", prefix = "mhc"),
                      class = "panelattrition_scale_error")
  expect_identical(err$rows, list(mhc7 = 2L))
  expect_match(conditionMessage(err), "whole numbers from 0 to 5",
               fixed = TRUE)

  expect_error(score_instrument(items, "mhc", prefix = "mhc"),
               class = "panelattrition_arg_error")
  err <- expect_error(
    score_instrument(items, "mhc_sf", prefix = "mhc", scales = "spiritual"),
    class = "panelattrition_arg_error"
  )
  expect_match(conditionMessage(err), "\"spiritual\" is not", fixed = TRUE)
  expect_error(score_instrument(items, "gse", prefix = ""),
               class = "panelattrition_arg_error")
})

# mhc_category() --------------------------------------------------------------

test_that("mhc_category follows Keyes' rule at its edges", {
  d <- mhc_rows(
    # 1: item 3 only at 4, exactly 6 of items 4-14 at 4 or 5 -> flourishing
    c(2, 2, 4, 4, 5, 4, 5, 4, 4, 3, 3, 3, 3, 3),
    # 2: the same with only 5 of 11 high -> moderate
    c(2, 2, 4, 4, 5, 4, 5, 4, 3, 3, 3, 3, 3, 3),
    # 3: no emotional item high, all 11 others at 5 -> moderate
    c(3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5),
    # 4: item 1 only at 1, exactly 6 of 11 at 0 or 1 -> languishing
    c(1, 3, 3, 0, 1, 0, 1, 0, 1, 2, 2, 2, 2, 2),
    # 5: 2 is not low: 5 of 11 at 0/1 -> moderate
    c(1, 3, 3, 0, 1, 0, 1, 0, 2, 2, 2, 2, 2, 2),
    # 6: emotional all at 0 but items 4-14 middling -> moderate
    c(0, 0, 0, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3),
    # 7: emotional high, six of 11 low and five high -> moderate
    c(5, 5, 5, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5),
    # 8: emotional low and high, six high -> flourishing
    c(0, 5, 0, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0),
    # 9: everything at 3 -> moderate
    rep(3, 14),
    # 10: all at 5 but one item missing -> NA
    c(rep(5, 13), NA),
    # 11: all at 0 -> languishing
    rep(0, 14)
  )
  res <- mhc_category(d)
  expect_identical(levels(res), c("languishing", "moderate", "flourishing"))
  expect_identical(
    as.character(res),
    c("flourishing", "moderate", "moderate", "languishing", "moderate",
      "moderate", "moderate", "flourishing", "moderate", NA, "languishing")
  )
})

test_that("mhc_category uses the prefix and checks the items", {
  d <- mhc_rows(rep(4, 14), rep(1, 14))
  names(d) <- sub("mhc", "w2_mhc", names(d))
  expect_identical(as.character(mhc_category(d, prefix = "w2_mhc")),
                   c("flourishing", "languishing"))
  err <- expect_error(mhc_category(d), class = "panelattrition_scale_error")
  expect_length(err$items, 14)
  d$w2_mhc2[2] <- 3.5
  err <- expect_error(mhc_category(d, prefix = "w2_mhc"),
                      class = "panelattrition_scale_error")
  expect_identical(err$rows, list(w2_mhc2 = 2L))
})
