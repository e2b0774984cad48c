# A stage's model matrix built directly on the columns it needs must be
# exactly the one built on a data frame subset of the people at risk.

stage_matrix <- panelattrition:::stage_matrix
plain_stage_matrix <- panelattrition:::plain_stage_matrix

# as glm() builds it on the rows
subset_matrix <- function(data, formula, rows) {
  sub <- data[rows, , drop = FALSE]
  mf <- stats::model.frame(formula, data = sub, na.action = stats::na.fail,
                           drop.unused.levels = TRUE)
  x <- stats::model.matrix(attr(mf, "terms"), mf)
  storage.mode(x) <- "double"
  # a stage's matrix has no row names: row k is the k-th person at risk
  rownames(x) <- NULL
  x
}

stage_data <- function(n = 400, seed = 3) {
  set.seed(seed)
  data.frame(
    g = factor(sample(c("a", "b", "c"), n, replace = TRUE)),
    # level "r" only in the first five rows
    rare = factor(c(rep("r", 5), sample(c("p", "q"), n - 5, replace = TRUE))),
    o = factor(sample(c("lo", "hi"), n, replace = TRUE), ordered = TRUE),
    x = stats::rnorm(n),
    k = sample(1:4, n, replace = TRUE),
    y_prev = stats::rnorm(n),
    y_prev_missing = 0
  )
}

test_that("plain formulas give the subset's model matrix", {
  d <- stage_data()
  rows <- sort(sample(nrow(d), 250))
  formulas <- list(~ g + x + k, ~ g * x + k + y_prev, ~ 0 + g + x + y_prev,
                   ~ x + g - 1, ~ g:x + k, ~ (g + x + k)^2 + y_prev,
                   ~ g / x, ~ rare + x, ~ g * x + y_prev + y_prev_missing)
  for (f in formulas) {
    fast <- plain_stage_matrix(d, f, rows)
    expect_false(is.null(fast))
    expect_identical(fast, subset_matrix(d, f, rows))
    expect_identical(stage_matrix(d, f, rows, "T2"), fast)
  }
  everyone <- seq_len(nrow(d))
  expect_identical(plain_stage_matrix(d, ~ g + x, everyone),
                   subset_matrix(d, ~ g + x, everyone))
})

test_that("other formulas and rows take the subset's own build", {
  d <- stage_data()
  rows <- 6:300
  for (f in list(~ poly(x, 2) + g, ~ scale(x) + g, ~ I(x^2) + g, ~ o + x,
                 ~ offset(x) + g, ~ log(k) + g)) {
    expect_null(plain_stage_matrix(d, f, rows))
    expect_identical(stage_matrix(d, f, rows, "T2"), subset_matrix(d, f, rows))
  }
  # a level absent among the rows is dropped
  expect_null(plain_stage_matrix(d, ~ rare + x, rows))
  expect_identical(stage_matrix(d, ~ rare + x, rows, "T3"),
                   subset_matrix(d, ~ rare + x, rows))
  # unsorted, repeated, logical or missing rows
  for (r in list(rev(rows), c(rows, 10L), seq_len(nrow(d)) %in% rows,
                 c(rows, NA))) {
    expect_null(plain_stage_matrix(d, ~ g + x, r))
  }
  # a column with character values, or missing values among the rows
  d$ch <- as.character(d$g)
  expect_null(plain_stage_matrix(d, ~ ch + x, rows))
  d$x[10] <- NA
  expect_null(plain_stage_matrix(d, ~ g + x, rows))
  expect_error(stage_matrix(d, ~ g + x, rows, "T2"),
               class = "panelattrition_weights_error")
  # one level left among the rows: the same error
  d$one <- factor(ifelse(seq_len(nrow(d)) <= 5, "u", "v"))
  expect_null(plain_stage_matrix(d, ~ one + k, rows))
  expect_error(stage_matrix(d, ~ one + k, rows, "T3"),
               "single level", class = "panelattrition_weights_error")
})

test_that("main effects are filled straight into the matrix, as model.matrix() would", {
  d <- stage_data(900, seed = 5)
  d$h <- factor(sample(sprintf("lv%02d", 1:12), 900, replace = TRUE))
  rows <- sort(sample(nrow(d), 700))
  for (f in list(~ g + x + k, ~ k + g + h + y_prev, ~ h, ~ x,
                 ~ g + x + y_prev + y_prev_missing)) {
    direct <- panelattrition:::main_effects_matrix(
      stats::terms(f), lapply(d[all.vars(f)], `[`, rows))
    expect_false(is.null(direct))
    expect_identical(direct, subset_matrix(d, f, rows))
    expect_identical(stage_matrix(d, f, rows, "T2"), direct)
  }
  # not main effects, or no intercept, or other contrasts: model.matrix()
  cols <- lapply(d[c("g", "x")], `[`, rows)
  expect_null(panelattrition:::main_effects_matrix(stats::terms(~ g * x), cols))
  expect_null(panelattrition:::main_effects_matrix(stats::terms(~ 0 + g + x), cols))
  old <- options(contrasts = c("contr.sum", "contr.poly"))
  on.exit(options(old))
  expect_null(panelattrition:::main_effects_matrix(stats::terms(~ g + x), cols))
})

test_that("main effects on rows at risk are read from the whole columns", {
  d <- stage_data(900, seed = 7)
  d$h <- factor(sample(sprintf("lv%02d", 1:12), 900, replace = TRUE))
  rows <- sort(sample(nrow(d), 650))
  for (f in list(~ g + x + k, ~ k + g + h + y_prev, ~ h, ~ x,
                 ~ g + x + y_prev + y_prev_missing)) {
    tt <- stats::terms(f)
    whole <- as.list(d[all.vars(f)])
    direct <- panelattrition:::main_effects_matrix(tt, whole, rows)
    # model.matrix() on the data frame of the rows, and the C code on
    # columns subset in R first
    expect_identical(direct, subset_matrix(d, f, rows))
    expect_identical(direct, panelattrition:::main_effects_matrix(
      tt, lapply(whole, `[`, rows)))
    expect_identical(plain_stage_matrix(d, f, rows), direct)
  }
  # every row, given or not
  f <- ~ g + x + k
  everyone <- seq_len(nrow(d))
  expect_identical(
    panelattrition:::main_effects_matrix(stats::terms(f), as.list(d), everyone),
    subset_matrix(d, f, everyone))
  expect_identical(
    panelattrition:::main_effects_matrix(stats::terms(f), as.list(d)),
    subset_matrix(d, f, everyone))
  # a single row at risk
  expect_identical(plain_stage_matrix(d, ~ x + k, 17L),
                   subset_matrix(d, ~ x + k, 17L))
})

test_that("missing values or absent levels among the rows take model.matrix()", {
  d <- stage_data()
  rows <- 6:300
  tt <- stats::terms(~ g + x + k)
  # missing values outside the rows do not matter
  d$x[c(2, 350)] <- NA
  d$k[c(1, 399)] <- NA
  d$g[3] <- NA
  expect_identical(plain_stage_matrix(d, ~ g + x + k, rows),
                   subset_matrix(d, ~ g + x + k, rows))
  # inside them: a double, an integer, a factor
  for (v in c("x", "k", "g")) {
    e <- d
    e[[v]][150] <- NA
    expect_null(panelattrition:::main_effects_matrix(tt, as.list(e), rows))
    expect_null(plain_stage_matrix(e, ~ g + x + k, rows))
    expect_error(stage_matrix(e, ~ g + x + k, rows, "T2"),
                 class = "panelattrition_weights_error")
  }
  e <- d
  e$x[150] <- NaN
  expect_null(plain_stage_matrix(e, ~ g + x + k, rows))
  # level "r" of `rare` is in rows 1-5 only: dropped as glm() drops it
  tt_rare <- stats::terms(~ rare + x)
  expect_null(panelattrition:::main_effects_matrix(tt_rare, as.list(d), rows))
  expect_identical(stage_matrix(d, ~ rare + x, rows, "T2"),
                   subset_matrix(d, ~ rare + x, rows))
  expect_false(is.null(panelattrition:::main_effects_matrix(
    tt_rare, as.list(d), c(1L, rows))))
  # a variable in the formula that is no term is checked too (its column
  # is not in the matrix; model.matrix() names its contrasts all the same)
  f <- ~ x + g - g
  expected <- subset_matrix(d, f, rows)
  attr(expected, "contrasts") <- NULL
  expect_identical(plain_stage_matrix(d, f, rows), expected)
  e <- d
  e$g[150] <- NA
  expect_null(plain_stage_matrix(e, f, rows))
  expect_error(stage_matrix(e, f, rows, "T2"),
               class = "panelattrition_weights_error")
})
