# The kernels that replace R code on the fast paths give the numbers of
# the R code they replace, to the last bit.

# The dense people x (m + g) matrix that tipping_cross() never forms:
# columns `cols` of `values` at rows `at`, and each group's values at its
# rows, zero elsewhere.
dense_both <- function(values, at, cols, groups, n) {
  both <- matrix(0, n, length(cols) + length(groups))
  both[at, seq_along(cols)] <- values[, cols, drop = FALSE]
  for (j in seq_along(groups)) {
    both[groups[[j]][[1]], length(cols) + j] <- groups[[j]][[2]]
  }
  both
}

speed_inputs <- function(n = 3001, seed = 1) {
  set.seed(seed)
  n_infl <- n - 400L
  at <- sort(sample.int(n, n_infl))
  values <- matrix(stats::rnorm(n_infl * 5), n_infl, 5)
  values[, 4] <- 0            # a column of zeros: its mean is +0
  values[1:50, 2] <- -values[1:50, 2] * 1e-300
  g1 <- sort(sample.int(n, 900))
  g2 <- sort(sample.int(n, 1))  # a group of one person
  g3 <- seq_len(n)
  groups <- list(list(g1, stats::rnorm(900)), list(g2, 0.5),
                 list(g3, stats::rnorm(n) / n))
  list(values = values, at = at, cols = c(5L, 1L, 2L, 4L), groups = groups,
       n = n)
}

test_that("tipping_cross() equals influence_vcov() of the dense matrix, people as units", {
  ns <- asNamespace("panelattrition")
  for (seed in 1:3) {
    if (seed < 3) {
      s <- speed_inputs(n = c(3001, 1024)[seed], seed = seed)
    } else {
      s <- list(n = 5L)
      s$at <- c(2L, 4L)
      s$values <- matrix(c(1, -2, 3, 4), 2, 2)
      s$cols <- 2:1
      s$groups <- list(list(5L, 1), list(c(1L, 3L), c(-1, 1)))
    }
    both <- dense_both(s$values, s$at, s$cols, s$groups, s$n)
    want <- unname(ns$influence_vcov(both))
    got <- ns$tipping_cross(s$values, s$at, s$cols, s$groups, NULL,
                            seq_len(s$n))
    expect_identical(got, want)
  }
})

test_that("tipping_cross() equals design_vcov() of the dense matrix", {
  ns <- asNamespace("panelattrition")
  s <- speed_inputs(n = 2000, seed = 4)
  n <- s$n
  strata <- rep(1:7, length.out = n)
  psu <- (seq_len(n) - 1L) %/% 50L + 1L
  strata <- strata[!duplicated(psu)][psu]    # PSUs nested in strata
  # stratum 7 with a single PSU (lonely), an fpc in some strata
  psu[strata == 7L] <- max(psu) + 1L
  pop <- ifelse(strata %in% 1:3, 120, Inf)
  pop[strata == 2L] <- sum(!duplicated(psu[strata == 2L]))  # f = 0
  both <- dense_both(s$values, s$at, s$cols, s$groups, n)
  for (rule in c("adjust", "average", "remove")) {
    for (with_pop in c(FALSE, TRUE)) {
      design <- list(strata = strata, psu = psu, lonely_psu = rule,
                     popsize = if (with_pop) pop)
      # a subset of the people, as tables with naive variances use
      people <- sort(sample.int(n, n - 3L))
      keep <- match(people, seq_len(n))
      sub_at <- match(s$at, people)
      ok <- !is.na(sub_at)
      sub_groups <- lapply(s$groups, function(g) {
        i <- match(g[[1]], people)
        list(i[!is.na(i)], g[[2]][!is.na(i)])
      })
      sub_both <- both[keep, , drop = FALSE]
      want <- unname(ns$design_vcov(sub_both, design, people))
      got <- ns$tipping_cross(s$values[ok, , drop = FALSE], sub_at[ok],
                              s$cols, sub_groups, design, people)
      expect_identical(got, want)
    }
  }
  # "fail" with a lonely PSU is the same error as the variance's
  design <- list(strata = strata, psu = psu, lonely_psu = "fail")
  expect_error(ns$tipping_cross(s$values, s$at, s$cols, s$groups, design,
                                seq_len(n)),
               class = "panelattrition_design_error")
})

test_that("influence_vcov() is symmetric and equals the centred cross-product", {
  ns <- asNamespace("panelattrition")
  set.seed(9)
  x <- matrix(stats::rnorm(4099 * 7), 4099, 7)
  v <- ns$influence_vcov(x)
  expect_identical(v, t(v))
  xc <- sweep(x, 2, colMeans(x))
  expect_equal(unname(v), unname(crossprod(xc)) * 4099 / 4098,
               tolerance = 1e-12)
})

test_that("lean tables keep the tipping cross-products of the dense computation", {
  s <- sim_panel(n = 400, seed = 3)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  for (se in c("sandwich", "naive")) {
    m <- wave_means(w, "y", by = "g", se = se, min_n = 1)
    tp <- attr(m, "tipping")
    b <- tp$cross$B
    ok <- !is.na(diag(b))
    # for the sandwich every person has influence values, so B is the
    # table's own covariance
    if (se == "sandwich") {
      expect_identical(unname(b[ok, ok]), unname(attr(m, "vcov")[ok, ok]))
    }
    expect_identical(b, t(b))
    expect_identical(tp$cross$V, t(tp$cross$V))
  }
})

test_that("split_rows() by the kernel equals split()", {
  ns <- asNamespace("panelattrition")
  set.seed(5)
  for (k in c(1L, 4L, 30L)) {
    x <- sample.int(1000L, 500L)
    key <- sample(c(seq_len(k), NA), 500L, replace = TRUE)
    f <- structure(key, levels = as.character(seq_len(k)), class = "factor")
    expect_identical(ns$split_rows(x, key, k), unname(split(x, f)))
    # names are kept, by split()
    names(x) <- paste0("r", seq_along(x))
    expect_identical(ns$split_rows(x, key, k), unname(split(x, f)))
  }
  expect_identical(ns$split_rows(integer(), integer(), 3L),
                   list(integer(), integer(), integer()))
  # keys outside 1..k: left to split(), which refuses them as before
  expect_error(ns$split_rows(1:3, c(1L, 5L, 2L), 2L), "bad level")
})

test_that("the sandwich reads rows of a derivative matrix in place as it reads a copy", {
  ns <- asNamespace("panelattrition")
  s <- sim_panel(n = 300, seed = 8)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  n <- nrow(w$weights)
  set.seed(2)
  big <- matrix(stats::rnorm(900 * 3), 900, 3)
  phi <- matrix(stats::rnorm(n * 3), n, 3)
  dmu <- diag(-c(2, 3, 4))
  sel <- lapply(1:3, function(t) sort(sample.int(900L, sum(w$panel$response[, t]))))
  who <- lapply(1:3, function(t) which(w$panel$response[, t]))
  copied <- lapply(1:3, function(t) list(rows = who[[t]], m = big[sel[[t]], ]))
  in_place <- lapply(1:3, function(t) list(rows = who[[t]], m = big,
                                           sel = sel[[t]]))
  expect_identical(ns$estimate_influence(w, phi, dmu, in_place),
                   ns$estimate_influence(w, phi, dmu, copied))
})

test_that("the quick screen of model cells never misses a small cell", {
  ns <- asNamespace("panelattrition")
  set.seed(3)
  for (i in 1:30) {
    n <- 200
    person <- sort(sample.int(80L, n, replace = TRUE))
    vars <- list(a = sample(c("x", "y", "z"), n, TRUE, prob = c(0.8, 0.15, 0.05)),
                 b = factor(sample(1:2, n, TRUE)),
                 c = sample(c(0.3, 0.1 + 0.2), n, TRUE))
    cell <- interaction(lapply(vars, factor), drop = TRUE)
    people <- tapply(person, cell, function(p) length(unique(p)))
    for (min_n in c(2, 5, 10)) {
      if (any(people < min_n)) {
        expect_true(ns$any_small_cell(vars, person, 80L, min_n))
      }
    }
  }
})

test_that("tipping cross-products with a design and suppressed cells are those of the dense matrix", {
  ns <- asNamespace("panelattrition")
  s <- sim_design_panel(n = 450, seed = 5)
  # a small group whose cells are suppressed
  s$long$g <- as.character(s$long$g)
  small <- s$long$id %in% unique(s$long$id)[1:4]
  s$long$g[small] <- "tiny"
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age", "hh", "str", "pop"),
                      strata = "str", cluster = "hh", fpc = "pop",
                      nest = TRUE)
  w <- attrition_weights(panel, ~ age)
  for (se in c("sandwich", "naive")) {
    m <- suppressMessages(wave_means(w, "y", by = "g", se = se, min_n = 5))
    expect_true(any(m$suppressed))
    # the table made again with its per-person values, and the dense
    # cross-products computed from them as before the kernel
    full <- ns$with_people(suppressMessages(
      wave_means(w, "y", by = "g", se = se, min_n = 5)))
    rec <- attr(m, "tipping")
    mean_rows <- which(!is.na(diag(rec$cross$B)))
    expect_true(length(mean_rows) > 0L)
    want <- lean_reference(full, rec$fingerprint, rec$redo)
    expect_identical(rec$cross, want$cross)
  }
})

test_that("the influence kernel forms phi from entries or rows as from the dense matrix", {
  ns <- asNamespace("panelattrition")
  s <- sim_panel(n = 300, seed = 12)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  n <- nrow(w$weights)
  set.seed(4)
  who <- sort(sample.int(n, 200L))
  m <- matrix(stats::rnorm(200 * 3), 200, 3)
  dense <- matrix(0, n, 3)
  dense[who, ] <- m
  dmu <- matrix(c(-3, 0.5, 0, 0.2, -2, 0.1, 0, 0.3, -4), 3)
  for (d in list(dmu, diag(c(-3, -2, -4)))) {
    want <- ns$estimate_influence(w, dense, d, NULL, sandwich = FALSE)
    expect_identical(ns$estimate_influence(w, list(rows = who, m = m, n = n),
                                           d, NULL, sandwich = FALSE), want)
    ent <- list(person = rep(who, 3), cell = rep(1:3, each = 200L),
                v = as.vector(m), n = n, q = 3L)
    expect_identical(ns$estimate_influence(w, ent, d, NULL, sandwich = FALSE),
                     want)
  }
})

# The shortcuts of issue 18's scale work (wave means and GEE at 1e6
# people): each gives what the R formula it replaces gives, bit for bit.

test_that("tipping material marks respondents and weighs SDs as the R formula, with a design", {
  ns <- asNamespace("panelattrition")
  s <- sim_design_panel(n = 450, seed = 11)
  s$long$g <- as.character(s$long$g)
  ids <- unique(s$long$id)
  # a group of one person (suppressed with its partner cells) and a
  # stratum with a single PSU (lonely, "adjust"), an fpc elsewhere
  s$long$g[s$long$id == ids[1]] <- "one"
  s$long$str[s$long$hh == s$long$hh[1]] <- 99L
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age", "hh", "str", "pop"),
                      strata = "str", cluster = "hh", fpc = "pop",
                      nest = TRUE, lonely_psu = "adjust")
  w <- attrition_weights(panel, ~ age)
  m <- suppressMessages(wave_means(w, "y", by = "g", min_n = 5))
  expect_true(any(m$suppressed))
  full <- ns$with_people(suppressMessages(wave_means(w, "y", by = "g",
                                                     min_n = 5)))
  mat <- attr(full, "tipping")
  rec <- attr(m, "tipping")
  rows <- ns$panel_rows(w)
  y <- w$panel$data$y
  g <- as.character(w$panel$data$g)
  n <- nrow(w$weights)
  g_base <- as.character(w$panel$baseline$g)
  checked <- 0L
  for (k in seq_len(nrow(full))) {
    r <- mat$rows[[k]]
    if (is.null(r) || !is.null(r$error)) next
    t1 <- match(as.character(full$wave[k]), w$panel$waves)
    at <- which(rows$wave == t1 & g == full$g[k] & !is.na(y))
    grp <- intersect(w$baseline_rows, which(g_base == full$g[k]))
    mark <- logical(n)
    mark[rows$person[at]] <- TRUE
    has <- mark[grp]
    has <- c(has, logical((8L - length(has) %% 8L) %% 8L))
    expect_identical(r$answered, packBits(has))
    sd <- ns$weighted_sd(as.numeric(y[at]),
                         w$weights[cbind(rows$person[at], t1)])
    expect_identical(r$sd, sd)
    expect_identical(rec$rows[[k]]$sd, sd)
    checked <- checked + 1L
  }
  expect_true(checked >= 6L)
})

test_that("the screen of sparse model-matrix columns gives check_model_cells()'s verdict", {
  ns <- asNamespace("panelattrition")
  n <- 2000
  person <- rep(seq_len(n / 2), each = 2)
  mf <- data.frame(y = stats::rnorm(n), v = stats::rnorm(n))
  x <- cbind("(Intercept)" = 1, v = mf$v, late = 0)
  # non-zero for 3 people only, all after the first 64 * min_n rows
  x[c(1500, 1501, 1700, 1900), "late"] <- 1
  expect_error(ns$check_model_cells(x, mf, person, 5),
               class = "panelattrition_disclosure_error")
  expect_silent(ns$check_model_cells(x, mf, person, 3))
  # non-zero for 5 people among the first rows and nowhere else
  x[, "late"] <- 0
  x[c(1, 3, 5, 7, 9), "late"] <- 1
  expect_silent(ns$check_model_cells(x, mf, person, 5))
  x[9, "late"] <- 0
  expect_error(ns$check_model_cells(x, mf, person, 5),
               class = "panelattrition_disclosure_error")
})

test_that("any_small_cell() with its rows-per-person screen equals the count of people", {
  ns <- asNamespace("panelattrition")
  exact <- function(vars, person, min_n) {
    cell <- interaction(lapply(vars, function(v) addNA(factor(v))),
                        drop = TRUE)
    any(tapply(person, cell, function(p) length(unique(p))) < min_n)
  }
  set.seed(12)
  verdicts <- logical()
  for (i in 1:40) {
    n_people <- 60L
    person <- sort(c(seq_len(n_people),
                     sample.int(n_people, 140L, replace = TRUE)))
    # one person with many answers, all in one cell
    if (i %% 4 == 0) person <- c(person, rep(1L, 30))
    n <- length(person)
    vars <- list(a = sample(c("x", "y", NA), n, TRUE, prob = c(0.6, 0.35, 0.05)),
                 b = factor(sample(1:2, n, TRUE)))
    if (i %% 4 == 0) {
      vars$a[person == 1L] <- "solo"
    }
    for (min_n in c(1, 2, 5, 12)) {
      got <- ns$any_small_cell(vars, person, n_people, min_n)
      expect_identical(got, exact(vars, person, min_n))
      verdicts <- c(verdicts, got)
    }
  }
  expect_true(any(verdicts) && !all(verdicts))
})

test_that("counting shortcuts equal duplicated(), rle() and the binary test", {
  ns <- asNamespace("panelattrition")
  set.seed(13)
  for (x in list(sort(sample.int(50L, 200, TRUE)), 7L, c(3L, 3L, 3L),
                 sample.int(50L, 200, TRUE), c(2L, 1L, 2L),
                 c(1L, NA, 2L), c(0L, 0L, 1L), integer())) {
    expect_identical(ns$first_of_each(x), x[!duplicated(x)])
    if (length(x)) expect_identical(ns$run_lengths(x), rle(x)$lengths)
  }
  y <- c(rep(c(0, 1), 700), NA, 0.5, 1)
  for (yy in list(y, y[-1402], c(2, y), c(NA, 1, 0), c(NaN, 0, 1),
                  c(NA, NA), c(rep(NA, 1200), 0.5), c(rep(NA, 1200), 1))) {
    has <- which(!is.na(yy))
    expect_identical(ns$values_binary(yy),
                     length(has) > 0L && all(yy[has] == 0 | yy[has] == 1))
  }
})

test_that("unused levels are dropped as model.frame(drop.unused.levels = TRUE) drops them", {
  ns <- asNamespace("panelattrition")
  set.seed(14)
  n <- 60
  d <- data.frame(y = stats::rnorm(n),
                  f = factor(sample(c("a", "b"), n, TRUE),
                             levels = c("a", "b", "z")),
                  o = factor(sample(1:3, n, TRUE), levels = 1:4,
                             ordered = TRUE),
                  k = sample(c("u", "v"), n, TRUE), x = stats::rnorm(n))
  d$f[3] <- NA
  contrasts(d$f) <- stats::contr.sum(3)
  for (fo in list(y ~ f + o + k + x, y ~ factor(k) * x, y ~ f:o, y ~ x,
                  y ~ interaction(f, o))) {
    msg <- function(expr) {
      tryCatch(expr, warning = function(w) conditionMessage(w))
    }
    expect_identical(
      msg(ns$drop_unused_levels(stats::model.frame(fo, d,
                                                   na.action = stats::na.pass))),
      msg(stats::model.frame(fo, d, na.action = stats::na.pass,
                             drop.unused.levels = TRUE)))
    expect_identical(
      suppressWarnings(ns$drop_unused_levels(
        stats::model.frame(fo, d, na.action = stats::na.pass))),
      suppressWarnings(stats::model.frame(fo, d, na.action = stats::na.pass,
                                          drop.unused.levels = TRUE)))
  }
})

test_that("the stage gradient reads a wave's weights in place as a zeroed copy", {
  ns <- asNamespace("panelattrition")
  set.seed(15)
  n <- 40L
  x <- cbind(1, stats::rnorm(n), stats::rbinom(n, 1, 0.4))
  wts <- matrix(stats::runif(n * 3, 0.5, 3), n, 3)
  wts[sample.int(n * 3, 20)] <- NA
  wts[5, 2] <- NaN
  zeroed <- function(t) {
    v <- wts[, t]
    v[is.na(v)] <- 0
    v
  }
  dense <- matrix(stats::rnorm(60 * 4), 60, 4)
  rows2 <- sort(sample.int(n, 25))
  rows3 <- sort(sample.int(n, 18))
  feeds <- function(wt2, wt3) {
    list(list(rows = rows2, m = dense, wt = wt2, sel = sample.int(60L, 25)),
         list(rows = rows3, col = sample.int(4L, 18, TRUE),
              v = stats::rnorm(18), wt = wt3))
  }
  set.seed(16)
  a <- feeds(zeroed(2), zeroed(3))
  set.seed(16)
  b <- feeds(list(wts, 2L), list(wts, 3L))
  factor <- stats::rnorm(n)
  expect_identical(
    .Call(ns$C_stage_gradient, x, factor, seq_len(n), b, n, 4L),
    .Call(ns$C_stage_gradient, x, factor, seq_len(n), a, n, 4L))
  expect_error(.Call(ns$C_stage_gradient, x, factor, seq_len(n),
                     list(list(rows = rows3, col = rep(1L, 18),
                               v = stats::rnorm(18), wt = list(wts, 4L))),
                     n, 4L),
               "internal error")
  # entries read in place by their range are those entries copied
  rows_all <- c(rows2, rows3)
  col_all <- sample.int(4L, length(rows_all), TRUE)
  v_all <- stats::rnorm(length(rows_all))
  part <- 26:43
  ranged <- list(list(rows = rows_all, col = col_all, v = v_all,
                      wt = list(wts, 3L), range = c(26L, 18L)))
  copied <- list(list(rows = rows_all[part], col = col_all[part],
                      v = v_all[part], wt = list(wts, 3L)))
  expect_identical(
    .Call(ns$C_stage_gradient, x, factor, seq_len(n), ranged, n, 4L),
    .Call(ns$C_stage_gradient, x, factor, seq_len(n), copied, n, 4L))
  for (bad in list(c(0L, 3L), c(40L, 5L), c(2L, -1L), c(NA, 2L), 3L)) {
    ranged[[1L]]$range <- bad
    expect_error(.Call(ns$C_stage_gradient, x, factor, seq_len(n), ranged,
                       n, 4L), "internal error")
  }
})

test_that("mean_cells() without the waves' values keeps the other columns", {
  ns <- asNamespace("panelattrition")
  s <- sim_panel(n = 200, seed = 17)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  rows <- ns$panel_rows(w)
  group <- ns$group_values(w, "g", rows)
  all_cols <- ns$mean_cells(w$panel$data$y, "y", rows, group)
  lean <- ns$mean_cells(w$panel$data$y, "y", rows, group, wave_values = FALSE)
  expect_identical(lean, all_cols[setdiff(names(all_cols),
                                          c("wave_members", "wave_values"))])
})

test_that("the stage gradient by blocks of rows equals the one through the whole matrix", {
  ns <- asNamespace("panelattrition")
  set.seed(18)
  n <- 3001L
  risk <- sort(sample.int(n + 500L, n))
  n_all <- n + 500L
  x <- cbind(1, stats::rnorm(n), stats::rbinom(n, 1, 0.3), stats::rnorm(n),
             stats::runif(n))
  wts <- matrix(stats::runif(n_all * 3, 0.5, 3), n_all, 3)
  wts[sample.int(n_all * 3, 300)] <- NA
  factor <- stats::rnorm(n)
  # a wave's derivative rows for its people in order (GEE), and a wave's
  # cells one after the other (wave means), people at risk or not
  people2 <- sort(sample.int(n_all, 2200))
  dense <- matrix(stats::rnorm(2500 * 4), 2500, 4)
  cell_a <- sort(sample.int(n_all, 900))
  cell_b <- sort(sample.int(n_all, 1100))
  feeds <- list(
    list(rows = people2, m = dense, wt = list(wts, 2L),
         sel = sample.int(2500L, 2200)),
    list(rows = c(cell_a, cell_b), col = rep(c(2L, 4L), c(900, 1100)),
         v = stats::rnorm(2000), wt = list(wts, 3L)),
    list(rows = people2[1:50], m = dense[1:50, ], wt = wts[, 1]))
  # zeros in many runs (they add nothing) send the kernel through the
  # whole matrix E instead
  zero <- list(rows = rep(risk[2:1], 5000), col = rep(1L, 10000),
               v = numeric(10000), wt = list(wts, 1L))
  blocks <- .Call(ns$C_stage_gradient, x, factor, risk, feeds, n_all, 4L)
  whole <- .Call(ns$C_stage_gradient, x, factor, risk, c(feeds, list(zero)),
                 n_all, 4L)
  expect_identical(blocks, whole)
  # and the columns used: a feed of zeros uses none
  expect_identical(colSums(blocks != 0) > 0, c(TRUE, TRUE, TRUE, TRUE))
})

test_that("the GEE's model matrix by combinations of levels equals model.matrix()", {
  ns <- asNamespace("panelattrition")
  set.seed(19)
  n <- 3000
  d <- data.frame(y = stats::rnorm(n),
                  a = factor(sample(letters[1:4], n, TRUE)),
                  b = sample(c("u", "v", "w"), n, TRUE),
                  o = factor(sample(1:5, n, TRUE), ordered = TRUE),
                  s = factor(sample(c("p", "q", "r"), n, TRUE)),
                  z = stats::rnorm(n), stringsAsFactors = FALSE)
  stats::contrasts(d$s) <- stats::contr.sum(3)
  # a combination that never occurs
  d$b[d$a == "d"] <- "u"
  formulas <- list(y ~ a * b, y ~ a + b + o, y ~ o:a, y ~ 0 + a:b, y ~ s * a,
                   y ~ b, y ~ a * z, y ~ 1, y ~ a + I(z > 0))
  for (f in formulas) {
    mf <- stats::model.frame(f, d)
    mt <- attr(mf, "terms")
    ref <- stats::model.matrix(mt, mf)
    rownames(ref) <- NULL
    expect_identical(ns$gee_x_expand(ns$gee_model_matrix(mt, mf)), ref)
  }
})

test_that("GEE fits through the combinations' model matrix equal those through model.matrix()", {
  # the same model with the group as 0/1 numbers goes through
  # model.matrix(); its matrix has the same values and columns, so every
  # estimate and variance is the same to the bit
  s <- sim_design_panel(n = 500, seed = 21)
  long <- s$long
  long$gb <- as.numeric(long$g == "b")
  long$gc <- as.numeric(long$g == "c")
  for (design in c(FALSE, TRUE)) {
    panel <- if (design) {
      panel_data(long, id = "id", wave = "wave",
                 baseline = c("g", "age", "hh", "str", "pop", "gb", "gc"),
                 strata = "str", cluster = "hh", fpc = "pop", nest = TRUE)
    } else {
      panel_data(long, id = "id", wave = "wave",
                 baseline = c("g", "age", "gb", "gc"))
    }
    w <- attrition_weights(panel, ~ g + age)
    for (corstr in c("independence", "exchangeable", "ar1")) {
      for (se in c("sandwich", "naive")) {
        a <- ipw_gee(y ~ wave * g, w, corstr = corstr, se = se,
                     keep = c("influence", "fitted"), min_n = 1)
        b <- ipw_gee(y ~ wave * (gb + gc), w, corstr = corstr, se = se,
                     keep = c("influence", "fitted"), min_n = 1)
        for (part in c("coefficients", "vcov", "vcov_model", "influence",
                       "fitted", "linear_predictor", "alpha", "scale")) {
          expect_identical(unname(a[[part]]), unname(b[[part]]),
                           label = paste(part, corstr, se, design))
        }
      }
    }
  }
})

test_that("the GEE kernel gives the same results wherever its outputs and scratch live", {
  ns <- asNamespace("panelattrition")
  fam <- list(gaussian = ns$gee_family("gaussian"),
              binomial = ns$gee_family("binomial"))
  ctrl <- list(maxit = 50, epsilon = 1e-10)
  set.seed(22)
  # clusters of 1 to 3 rows: with p = 2 the scores (n_clusters x p) are too
  # small for the scratch, with p = 6 they hold it
  size <- sample(c(1L, 2L, 3L), 400, TRUE, prob = c(0.2, 0.3, 0.5))
  size[1] <- 1L
  n <- sum(size)
  time <- unlist(lapply(size, seq_len))
  w <- stats::runif(n, 0.5, 3)
  for (p in c(1L, 2L, 6L)) {
    x <- cbind(1, matrix(stats::rbinom(n * (p - 1), 1, 0.4), n))
    for (fm in names(fam)) {
      y <- if (fm == "binomial") stats::rbinom(n, 1, 0.4) else stats::rnorm(n)
      for (corstr in c("independence", "exchangeable", "ar1")) {
        for (wt in list(w, rep(1, n))) {
          ref <- ns$gee_call(x, y, wt, time, size, fam[[fm]], corstr, ctrl,
                             want = c(TRUE, TRUE, FALSE))
          x2 <- x + 0  # a copy, written over
          over <- ns$gee_call(x2, y, wt, time, size, fam[[fm]], corstr, ctrl,
                              want = c(FALSE, TRUE, TRUE))
          none <- ns$gee_call(x, y, wt, time, size, fam[[fm]], corstr, ctrl,
                              want = c(FALSE, FALSE, FALSE))
          expect_null(over$fitted)
          expect_null(none$dscores)
          expect_identical(unclass(over$dscores), ref$dscores)
          keep <- setdiff(names(ref), c("fitted", "dscores"))
          expect_identical(over[keep], ref[keep])
          expect_identical(none[keep], ref[keep])
          expect_identical(ref$fitted, fam[[fm]]$family$linkinv(ref$linear_predictor),
                           tolerance = 1e-12)
        }
      }
    }
  }
  # Robins, Rotnitzky and Zhao's equations over complete clusters (weight
  # 0 at the waves not answered), both pair rules
  n_t <- 3L
  m <- 300L
  size <- rep(n_t, m)
  n <- m * n_t
  x <- cbind(1, rep(0:2, m), stats::rbinom(n, 1, 0.5))
  y <- stats::rnorm(n)
  wt <- stats::runif(n, 1, 2) * (stats::runif(n) < 0.8)
  wt[seq(1, n, by = n_t)] <- 1.5
  for (mode in list(c(1L, 1L), c(1L, 2L))) {
    base <- if (mode[2] == 2L) stats::runif(m, 1, 2) else double()
    ref <- ns$gee_call(x, y, wt, rep(1:3, m), size, fam$gaussian,
                       "exchangeable", ctrl, mode, base,
                       want = c(TRUE, TRUE, FALSE))
    x2 <- x + 0
    over <- ns$gee_call(x2, y, wt, rep(1:3, m), size, fam$gaussian,
                        "exchangeable", ctrl, mode, base,
                        want = c(FALSE, TRUE, TRUE))
    expect_identical(unclass(over$dscores), ref$dscores)
    keep <- setdiff(names(ref), c("fitted", "dscores"))
    expect_identical(over[keep], ref[keep])
  }
})

test_that("the lean tipping record from the cells equals the one from the people's material", {
  ns <- asNamespace("panelattrition")
  s <- sim_design_panel(n = 450, seed = 21)
  s$long$g <- as.character(s$long$g)
  ids <- unique(s$long$id)
  # a one-person group (suppressed), a binary and a categorical outcome,
  # a grouping that changes for some people between waves (their rows
  # are not in their group's baseline sample), unequal base weights
  s$long$g[s$long$id == ids[1]] <- "one"
  s$long$b <- as.numeric(s$long$y > 55)
  s$long$cat <- cut(s$long$y, c(-Inf, 45, 60, Inf), labels = c("lo", "mid", "hi"))
  s$long$bw <- 1 + (match(s$long$id, ids) %% 3)
  # the frame gives each person's baseline group gv; the answers carry a
  # group that changed at T3 for some
  frame <- s$long[!duplicated(s$long$id),
                  c("id", "g", "age", "hh", "str", "pop", "bw")]
  frame$gv <- frame$g
  s$long$gv <- s$long$g
  moved <- s$long$id %in% ids[2:40] & s$long$wave == "T3"
  s$long$gv[moved] <- "a"
  designs <- list(
    none = panel_data(s$long, id = "id", wave = "wave", frame = frame,
                      baseline = c("g", "gv", "age", "bw")),
    design = panel_data(s$long, id = "id", wave = "wave", frame = frame,
                        baseline = c("g", "gv", "age", "hh", "str", "pop",
                                     "bw"),
                        strata = "str", cluster = "hh", fpc = "pop",
                        nest = TRUE, lonely_psu = "adjust")
  )
  checked <- errors <- 0L
  for (panel in designs) {
    w <- attrition_weights(panel, ~ age, base = "bw")
    calls <- list(
      function(...) wave_means(w, c("y", "b", "cat"), by = "g", ...),
      function(...) wave_means(w, "y", by = "gv", ...),
      function(...) wave_means(w, "y", ...),
      function(...) wave_means(w, "y", by = "g", estimator = "aipw", ...),
      function(...) wave_means(w, "y", by = "g", estimator = "complete_case",
                               ...),
      function(...) panel_change(w, "y", by = "g", ...),
      function(...) panel_change(w, "b", from = "T2", by = "gv", ...)
    )
    for (f in calls) {
      for (se in c("sandwich", "naive")) {
        if (identical(se, "naive") &&
            isTRUE(attr(suppressMessages(f(min_n = 5)), "estimator") != "ipw")) {
          next
        }
        m <- suppressMessages(f(se = se, min_n = 5))
        full <- ns$with_people(suppressMessages(f(se = se, min_n = 5)))
        rec <- attr(m, "tipping")
        want <- lean_reference(full, rec$fingerprint, rec$redo)
        # the reference's conditions were made under with_people(), whose
        # messages name no function; the table's name the one that made it
        for (k in seq_along(rec$rows)) {
          e <- rec$rows[[k]]$error
          if (is.null(e)) next
          fun <- attr(m, "kind")
          expect_match(e$message, paste0("^", fun, "\\(\\): "))
          rec$rows[[k]]$error$message <- sub("^[a-z_]+\\(\\): ", "",
                                             e$message)
          errors <- errors + 1L
        }
        expect_identical(rec, want)
        checked <- checked + 1L
      }
    }
  }
  expect_true(checked >= 20L)
  expect_true(errors >= 4L)
})

test_that("panel_change()'s SD of the changes equals the weighted SD by the R formula", {
  ns <- asNamespace("panelattrition")
  s <- sim_panel(n = 500, seed = 8)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, monotone = FALSE)
  ch <- panel_change(w, "y", from = "T1", to = "T3", by = "g", min_n = 1)
  wp <- ns$pair_weights(w, 1L, 3L)
  rows <- ns$panel_rows(w)
  y <- matrix(NA_real_, nrow(w$weights), 3)
  y[cbind(rows$person, rows$wave)] <- w$panel$data$y
  g <- as.character(w$panel$baseline$g)
  for (k in seq_len(nrow(ch))) {
    who <- which(!is.na(y[, 3] - y[, 1]) & g == as.character(ch$g[k]))
    expect_identical(ch$sd_change[k],
                     ns$weighted_sd(y[who, 3] - y[who, 1], wp$weights[who, 3]))
  }
})

test_that("the weights' fingerprint sums equal colSums() of the weights and their squares", {
  ns <- asNamespace("panelattrition")
  set.seed(2)
  m <- matrix(stats::rexp(3000), 1000, 3)
  m[sample(length(m), 400)] <- NA
  m[5, 2] <- NaN
  m[7, 3] <- 1e200
  got <- .Call(ns$C_column_sums, m)
  expect_identical(got$sum, unname(colSums(m, na.rm = TRUE)))
  expect_identical(got$sum_sq, unname(colSums(m^2, na.rm = TRUE)))
  expect_identical(got$sum_sq[3], Inf)
  fp <- ns$weights_fingerprint(list(weights = m))
  expect_identical(fp, list(people = 1000L,
                            sum = unname(colSums(m, na.rm = TRUE)),
                            sum_sq = unname(colSums(m^2, na.rm = TRUE))))
  # an integer matrix goes through colSums() itself
  mi <- matrix(1:6, 3)
  expect_identical(ns$weights_fingerprint(list(weights = mi))$sum_sq,
                   c(14, 77))
})

test_that("the cells' entries and fit from the kernel equal the R construction", {
  ns <- asNamespace("panelattrition")
  s <- sim_panel(n = 600, seed = 31)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  rows <- ns$panel_rows(w)
  y <- w$panel$data$y
  y[c(3, 50, 51)] <- NA
  cells <- ns$mean_cells(y, "y", rows, ns$group_values(w, "g", rows))
  # an empty cell and a one-entry cell among them
  cells$members[[2]] <- integer()
  cells$values[[2]] <- numeric()
  cells$members[[4]] <- cells$members[[4]][1]
  cells$values[[4]] <- cells$values[[4]][1]
  fit <- ns$cell_fit(w, cells, rows)
  n <- nrow(w$weights)
  member <- unlist(cells$members)
  person <- rows$person[member]
  cell <- rep.int(seq_len(nrow(cells)), lengths(cells$members))
  wt <- w$weights[cbind(person, rows$wave[member])]
  ref <- .Call(ns$C_cell_means, person, cell, wt, unlist(cells$values), n,
               nrow(cells), FALSE)
  for (nm in c("estimate", "sum_w", "sum_w2", "n", "resid")) {
    expect_identical(fit[[nm]], ref[[nm]])
  }
  expect_identical(fit$person, person)
  expect_identical(fit$cell, cell)
  expect_identical(fit$v, wt * ref$resid)
  expect_identical(fit$len, lengths(cells$members))
  # the SDs are weighted_sd()'s, NA below two entries
  sd <- vapply(seq_len(nrow(cells)), function(k) {
    at <- cell == k
    ns$weighted_sd(unlist(cells$values)[at], wt[at])
  }, numeric(1))
  expect_identical(ns$cell_sd(fit), sd)
  expect_true(is.na(ns$cell_sd(fit)[2]) && is.na(ns$cell_sd(fit)[4]))
  # entries out of cell order give the same sums
  o <- sample(length(person))
  shuffled <- .Call(ns$C_cell_means, person[o], cell[o], wt[o],
                    unlist(cells$values)[o], n, nrow(cells), FALSE)
  for (k in seq_len(nrow(cells))) {
    at <- which(cell[o] == k)
    expect_identical(shuffled$sum_w[k], sum(wt[o][at]))
  }
})

test_that("PSUs per stratum by counting equal those by duplicated()", {
  ns <- asNamespace("panelattrition")
  set.seed(9)
  strata <- sample.int(6L, 500L, TRUE)
  key <- paste(strata, sample.int(15L, 500L, TRUE))
  psu <- match(key, unique(key))
  want <- tabulate(strata[!duplicated(psu)], max(strata))
  expect_identical(ns$psu_counts(strata, psu), want)
  expect_identical(ns$psu_counts(strata[10:60], psu[10:60]),
                   tabulate(strata[10:60][!duplicated(psu[10:60])], 6L))
  # codes that are not plain integers take the hashing path
  expect_identical(ns$psu_counts(strata, as.double(psu)), want)
  # the kernel's count: a stratum without rows counts 0, PSU codes need
  # not be consecutive, and a missing code leaves the count to R
  s2 <- c(3L, 3L, 1L, 5L, 5L, 5L, 1L)
  p2 <- c(9L, 4L, 2L, 7L, 7L, 12L, 2L)
  expect_identical(.Call(ns$C_psu_counts, s2, p2), c(1L, 0L, 2L, 0L, 2L))
  expect_identical(ns$psu_counts(s2, p2),
                   tabulate(s2[!duplicated(p2)], max(s2)))
  expect_null(.Call(ns$C_psu_counts, s2, replace(p2, 3L, NA)))
  expect_null(.Call(ns$C_psu_counts, integer(), integer()))
})

test_that("outcomes with infinite or overflowing values are still refused by name", {
  s <- sim_panel(n = 200, seed = 4)
  s$long$y_inf <- s$long$y
  s$long$y_inf[3] <- -Inf
  s$long$y_big <- s$long$y
  s$long$y_big[5] <- 1e200
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  e <- expect_error(wave_means(w, "y_inf"),
                    class = "panelattrition_nonfinite_error")
  expect_match(conditionMessage(e), "1 infinite value")
  expect_identical(e$argument, "outcomes")
  e <- expect_error(wave_means(w, "y_big"),
                    class = "panelattrition_nonfinite_error")
  expect_match(conditionMessage(e), "too large")
})

test_that("the kernel's split of a table's cells equals the split in R", {
  ns <- asNamespace("panelattrition")
  set.seed(41)
  n <- 3000L
  wave <- sample(c(1L, 2L, 4L), n, TRUE)
  gf <- factor(sample(c("b", "a", "c"), n, TRUE), levels = c("c", "b", "a", "z"))
  ys <- list(num = ifelse(stats::runif(n) < 0.2, NA, stats::rnorm(n)),
             int = ifelse(stats::runif(n) < 0.2, NA_integer_, 1L),
             lgl = ifelse(stats::runif(n) < 0.2, NA, TRUE),
             chr = ifelse(stats::runif(n) < 0.2, NA, "x"),
             fac = factor(ifelse(stats::runif(n) < 0.2, NA, "u")),
             nan = ifelse(stats::runif(n) < 0.2, NaN, 1))
  groups_list <- list(factor = gf, character = as.character(gf),
                      numeric = as.integer(gf) * 10, none = rep(NA, n))
  for (y in ys) {
    for (group in groups_list) {
      no_group <- all(is.na(group))
      groups <- if (no_group) NA else ns$sort_unique(group)
      got <- ns$cell_split(y, wave, group, groups, no_group, TRUE)
      want <- ns$cell_split_r(y, wave, group, groups, no_group)
      expect_null(got$values)
      got$values <- NULL
      expect_identical(got, want)
      lean <- ns$cell_split(y, wave, group, groups, no_group, FALSE)
      expect_identical(lean$cells, want$cells)
      expect_null(lean$wave_rows)
      # each cell's values, as mean_cells() would pick them (none for
      # text or factors, which are split into levels)
      with_values <- ns$cell_split(y, wave, group, groups, no_group, FALSE,
                                   cell_values = TRUE)
      expect_identical(with_values$cells, want$cells)
      if (is.factor(y) || is.character(y)) {
        expect_null(with_values$values)
      } else {
        expect_identical(with_values$values,
                         lapply(want$cells, function(m) as.numeric(y)[m]))
      }
    }
  }
  # waves that are not plain codes are split in R
  expect_null(ns$cell_split(ys$num, as.double(wave), gf, levels(gf)[1:3],
                            FALSE, TRUE))
  # nothing answered: no waves
  none <- ns$cell_split(rep(NA_real_, 5), 1:5, NULL, NA, TRUE, FALSE)
  expect_identical(none$waves, integer())
})

test_that("cell_fit(columns = TRUE) gives the columns influence_columns() makes from the entries", {
  ns <- asNamespace("panelattrition")
  set.seed(23)
  n <- 40L
  n_wave <- 3L
  # answers: every person at wave 1, some at waves 2 and 3, in an order
  # that puts a cell's people out of order
  rows <- data.frame(person = c(sample.int(n), sample.int(n, 25L),
                                sample.int(n, 15L)),
                     wave = rep(1:3, c(n, 25L, 15L)))
  weights <- matrix(stats::rexp(n * n_wave), n, n_wave)
  # wave 3: zero weights (total 0, scale 1); one NA weight at wave 2 (a
  # missing total, scale NA)
  weights[, 3L] <- 0
  weights[rows$person[n + 3L], 2L] <- NA
  y <- round(stats::rnorm(nrow(rows)), 3)
  members <- list(which(rows$wave == 1L), which(rows$wave == 2L),
                  integer(), which(rows$wave == 3L))
  values <- lapply(members, function(m) y[m])
  w <- list(weights = weights)
  cells <- list(members = members, values = values)
  full <- ns$cell_fit(w, cells, rows)
  cols <- ns$cell_fit(w, cells, rows, columns = TRUE)
  for (k in c("estimate", "sum_w", "sum_w2", "n", "sum_wr2", "len")) {
    expect_identical(cols[[k]], full[[k]])
  }
  expect_null(cols$person)
  expect_null(cols$v)
  ok <- full$sum_w > 0
  want <- ns$influence_columns(full$person, full$cell, full$v,
                               -diag(diag(-ifelse(ok, full$sum_w, 1), 4L)),
                               n, 4L)
  expect_identical(ns$people_columns(cols$columns, seq_len(n), n), want)
  expect_true(is.na(want[[2L]][[2L]][1L]))
  expect_false(is.unsorted(cols$columns[[1L]][[1L]], strictly = TRUE))
  # over some of the people: their positions among them, or NULL when an
  # entry's person is not among them
  people <- sort(unique(rows$person[rows$wave >= 2L]))
  some <- ns$people_columns(cols$columns[2:4], people, n)
  slot <- match(seq_len(n), people)
  expect_identical(some[[1L]][[1L]], slot[cols$columns[[2L]][[1L]]])
  expect_identical(attr(some, "n"), length(people))
  expect_null(ns$people_columns(cols$columns, people, n))
})

test_that("naive influence values held by columns give the dense matrix's covariance", {
  ns <- asNamespace("panelattrition")
  set.seed(17)
  n <- 60L
  q <- 4L
  # entries: cell 3 empty, persons out of order within cells
  cell <- rep(c(1L, 2L, 4L), c(25L, 30L, 12L))
  person <- c(sample.int(n, 25L), sample.int(n, 30L), sample.int(n, 12L))
  v <- stats::rnorm(length(cell))
  scale <- c(12.5, 3, 1, 40)
  cols <- ns$influence_columns(person, cell, v, scale, n, q)
  dense <- matrix(0, n, q)
  dense[cbind(person, cell)] <- v / scale[cell]
  expect_identical(ns$dense_influence(cols), dense)
  design <- list(strata = rep(1:3, each = 20L), psu = rep(1:12, each = 5L),
                 popsize = rep(c(30, 40, 50), each = 20L),
                 lonely_psu = "adjust")
  people <- sort(sample.int(80L, n))
  design80 <- lapply(design[c("strata", "psu", "popsize")], function(x) {
    rep_len(x, 80L)
  })
  design80$psu <- as.integer((seq_len(80L) - 1L) %/% 4L + 1L)
  design80$strata <- as.integer((design80$psu - 1L) %/% 5L + 1L)
  design80$lonely_psu <- "adjust"
  expect_identical(ns$influence_vcov(cols, NULL, seq_len(n)),
                   ns$influence_vcov(dense))
  expect_identical(ns$influence_vcov(cols, design80, people),
                   ns$influence_vcov(dense, design80, people))
  # the entries in no particular cell order take the split path
  o <- sample(length(cell))
  expect_identical(ns$influence_columns(person[o], cell[o], v[o], scale, n, q),
                   cols)
  # a suppressed column goes as a whole
  est <- list(vcov = diag(q), influence = cols)
  masked <- ns$mask_suppressed(data.frame(estimate = 1:4), est,
                               c(FALSE, TRUE, FALSE, FALSE))
  expect_null(masked$est$influence[[2]])
  expect_true(all(is.na(ns$dense_influence(masked$est$influence)[, 2])))
})

test_that("the number of groups counted from a factor's codes is the one from its values", {
  ns <- asNamespace("panelattrition")
  s <- sim_panel(n = 60, seed = 3)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ age)
  rows <- ns$panel_rows(w)
  y <- w$panel$data$y
  base <- factor(sample(c("p", "q", "r"), nrow(rows), TRUE),
                 levels = c("p", "q", "r", "unused"))
  with_na <- base
  with_na[c(2, 9)] <- NA
  na_level <- addNA(base)
  na_level[5] <- NA
  for (g in list(base, with_na, na_level, factor(rep("p", nrow(rows))))) {
    want <- if (!anyNA(g)) length(ns$sort_unique(g)) else length(unique(g))
    # min_n so large that any grouping is refused, with its count
    e <- tryCatch(ns$check_cells_size(w, rows, y, g, "g", min_n = 1e6),
                  panelattrition_groups_error = function(e) e)
    expect_identical(e$groups, want)
  }
})

test_that("a design's vectors are read whole when the people are everyone in order", {
  ns <- asNamespace("panelattrition")
  x <- c(5L, 3L, 9L, 1L)
  for (people in list(1:4, c(1L, 2L, 3L, 4L), c(1L, 3L, 4L), c(1L, 1L, 3L, 4L),
                      c(2L, 1L, 3L, 4L), c(1L, NA, 3L, 4L), 4:1,
                      c(1, 2, 3, 4))) {
    expect_identical(ns$design_at(x, people), x[people])
  }
})

test_that("sandwich influence values split into updated and sparse columns are the dense matrix", {
  ns <- asNamespace("panelattrition")
  s <- sim_design_panel(n = 400, seed = 23)
  for (design in c(FALSE, TRUE)) {
    panel <- if (design) {
      panel_data(s$long, id = "id", wave = "wave",
                 baseline = c("g", "age", "hh", "str", "pop"),
                 strata = "str", cluster = "hh", fpc = "pop", nest = TRUE)
    } else {
      panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
    }
    w <- attrition_weights(panel, ~ g + age)
    rows <- ns$panel_rows(w)
    group <- ns$group_values(w, "g", rows)
    cells <- ns$mean_cells(w$panel$data$y, "y", rows, group)
    dense <- ns$solve_cells(w, cells, rows, "sandwich")
    split <- ns$solve_cells(w, cells, rows, "sandwich", lean = TRUE)
    # the first wave's cells have no weighting stage: held by entries
    expect_s3_class(split$influence, "pa_split")
    expect_identical(split$influence$sparse_cols, 1:3)
    expect_identical(ns$dense_split(split$influence), unname(dense$influence))
    expect_identical(split$vcov, dense$vcov)
    expect_identical(split$estimate, dense$estimate)
    # a suppressed column of either kind goes as a whole
    masked <- ns$mask_suppressed(data.frame(estimate = split$estimate),
                                 split, seq_len(nrow(cells)) %in% c(2L, 5L))
    d <- ns$dense_split(masked$est$influence)
    expect_true(all(is.na(d[, c(2L, 5L)])))
    expect_identical(d[, -c(2L, 5L)], unname(dense$influence)[, -c(2L, 5L)])
    # the table made of them keeps the same tipping record
    m_lean <- suppressMessages(wave_means(w, "y", by = "g"))
    m_full <- ns$with_people(suppressMessages(wave_means(w, "y", by = "g")))
    rec <- attr(m_lean, "tipping")
    expect_identical(rec, lean_reference(m_full, rec$fingerprint, rec$redo))
  }
})

# gee6 ----------------------------------------------------------------------

test_that("the GEE kernel on a compressed model matrix equals it on the expanded one", {
  ns <- asNamespace("panelattrition")
  fam <- list(gaussian = ns$gee_family("gaussian"),
              binomial = ns$gee_family("binomial"),
              poisson = ns$gee_family("poisson"))
  ctrl <- list(maxit = 50, epsilon = 1e-10)
  set.seed(61)
  # clusters of 1 to 3 rows, more rows than a chunk of the cross-products
  # (1024) and a last chunk whose length is not a multiple of 4
  size <- sample(c(1L, 2L, 3L), 1300, TRUE, prob = c(0.2, 0.3, 0.5))
  n <- sum(size)
  expect_true(n %% 4L != 0L && n > 2048L)
  time <- unlist(lapply(size, seq_len))
  w <- stats::runif(n, 0.5, 3)
  for (p in c(1L, 3L, 6L)) {
    # distinct rows with zeros and negative zeros, one row used once
    xu <- cbind(1, matrix(sample(c(0, -0, 1, 0.5, -2), 7 * (p - 1), TRUE),
                          7))[, seq_len(p), drop = FALSE]
    code <- sample.int(7L, n, TRUE)
    code[code == 7L] <- 6L
    code[17L] <- 7L
    x <- xu[code, , drop = FALSE]
    xc <- xu
    attr(xc, "code") <- code - 1L
    for (fm in names(fam)) {
      y <- switch(fm, binomial = stats::rbinom(n, 1, 0.4),
                  poisson = stats::rpois(n, 2), stats::rnorm(n))
      for (corstr in c("independence", "exchangeable", "ar1")) {
        for (wt in list(w, rep(1, n))) {
          ref <- ns$gee_call(x, y, wt, time, size, fam[[fm]], corstr, ctrl,
                             want = c(TRUE, TRUE, FALSE))
          got <- ns$gee_call(xc, y, wt, time, size, fam[[fm]], corstr, ctrl,
                             want = c(TRUE, TRUE, TRUE))
          expect_identical(got, ref, label = paste(p, fm, corstr))
          # the compressed rows are not written over
          expect_identical(ns$gee_x_rows(xc), xu)
        }
      }
    }
  }
  # Robins, Rotnitzky and Zhao's equations over complete clusters, with the
  # rows of the waves not answered appended to the compressed matrix
  m <- 400L
  size <- rep(3L, m)
  n <- 3L * m
  xu <- cbind(1, c(0, 1, 2, 0, 1, 2), rep(0:1, each = 3))
  code <- sample.int(6L, n, TRUE)
  x <- xu[code, ]
  xc <- xu
  attr(xc, "code") <- code - 1L
  y <- stats::rnorm(n)
  wt <- stats::runif(n, 1, 2) * (stats::runif(n) < 0.8)
  wt[seq(1, n, by = 3L)] <- 1.5
  for (mode in list(c(1L, 1L), c(1L, 2L))) {
    base <- if (mode[2] == 2L) stats::runif(m, 1, 2) else double()
    ref <- ns$gee_call(x, y, wt, rep(1:3, m), size, fam$gaussian,
                       "exchangeable", ctrl, mode, base,
                       want = c(TRUE, TRUE, FALSE))
    got <- ns$gee_call(xc, y, wt, rep(1:3, m), size, fam$gaussian,
                       "exchangeable", ctrl, mode, base,
                       want = c(TRUE, TRUE, TRUE))
    expect_identical(got, ref)
  }
})

test_that("checks of the model matrix give the same verdicts on its compressed form", {
  ns <- asNamespace("panelattrition")
  set.seed(62)
  verdict <- function(expr) {
    tryCatch({
      expr
      "ok"
    }, error = function(e) list(class(e), conditionMessage(e)))
  }
  n_people <- 120L
  for (k in 1:30) {
    # people with 1 to 3 answers, in person order
    per <- sample(1:3, n_people, TRUE)
    person <- rep(seq_len(n_people), per)
    n <- length(person)
    wave <- unlist(lapply(per, seq_len))
    g <- sample(c("a", "b", "c"), n_people, TRUE,
                prob = c(0.7, 0.25, 0.05))[person]
    h <- factor(sample(c("u", "v"), n, TRUE, prob = c(0.9, 0.1)))
    d <- data.frame(y = stats::rnorm(n), wave = factor(paste0("T", wave)),
                    g = g, h = h, stringsAsFactors = FALSE)
    f <- list(y ~ wave * g, y ~ g + h, y ~ wave:h, y ~ g * h, y ~ 0 + g)[[
      1L + k %% 5L]]
    mf <- ns$drop_unused_levels(stats::model.frame(f, d))
    mt <- attr(mf, "terms")
    xc <- ns$gee_model_matrix(mt, mf)
    expect_false(is.null(attr(xc, "code")))
    x <- ns$gee_x_expand(xc)
    ref <- stats::model.matrix(mt, mf)
    rownames(ref) <- NULL
    expect_identical(x, ref)
    for (min_n in c(1, 3, 5, 12)) {
      expect_identical(
        verdict(ns$check_model_cells(xc, mf, person, min_n,
                                     most = max(ns$run_lengths(person)))),
        verdict(ns$check_model_cells(x, mf, person, min_n)),
        label = paste(k, min_n))
    }
    # full rank vouched for on the compressed form only when qr() finds it
    if (ns$surely_full_rank(xc)) expect_identical(qr(x)$rank, ncol(x))
    expect_identical(ns$surely_full_rank(xc), ns$surely_full_rank(x))
  }
})

test_that("an independence GEE's weight derivatives as factors equal its n x p derivatives in the sandwich", {
  ns <- asNamespace("panelattrition")
  ctrl <- list(maxit = 50, epsilon = 1e-10)
  set.seed(63)
  # people 1..m with 1 to 3 answers in wave order, more answers than a
  # block of the stage gradient
  m <- 1500L
  per <- sample(1:3, m, TRUE)
  person <- rep(seq_len(m), per)
  wave <- unlist(lapply(per, seq_len))
  n <- length(person)
  xu <- cbind(1, c(0, 1, 0, 1, -0, 2), c(0, 0, 1, 1, 3, 0.5))
  code <- sample.int(6L, n, TRUE)
  x <- xu[code, ]
  xc <- xu
  attr(xc, "code") <- code - 1L
  wt <- stats::runif(n, 0.5, 3)
  wts <- matrix(stats::runif(m * 3, 0.5, 3), m, 3)
  wts[sample.int(m * 3, 200)] <- NA
  risk <- sort(sample.int(m, 1200))
  xs <- cbind(1, stats::rnorm(length(risk)))
  factor <- stats::rnorm(length(risk))
  fams <- list(ns$gee_family("gaussian"), ns$gee_family("binomial"))
  for (fam in fams) {
    y <- if (fam$name == "binomial") stats::rbinom(n, 1, 0.4) else stats::rnorm(n)
    for (xm in list(x, xc)) {
      fit <- ns$gee_call(xm, y, wt, wave, ns$run_lengths(person), fam,
                         "independence", ctrl,
                         want = c(FALSE, TRUE, FALSE, TRUE))
      # the kernel's arithmetic for its derivatives
      t <- (fit$da * x) * fit$dr
      expect_identical((t + t) / (2 * wt), fit$dscores)
      code_m <- attr(xm, "code")
      for (t_w in 1:3) {
        at <- which(wave == t_w)
        # a wave of one answer, the others' waves NA, too
        one <- rep(NA_integer_, n)
        one[at[1L]] <- t_w
        for (wv in list(wave, one)) {
          sel <- which(wv == t_w)
          dense <- list(rows = person[sel], m = fit$dscores,
                        wt = list(wts, t_w), sel = sel)
          fact <- list(person = person, x = ns$gee_x_rows(xm),
                       code = code_m, a = fit$da, r = fit$dr, w = wt,
                       wt = list(wts, t_w), wave = wv, t = t_w)
          # through the blocks' runs and through the whole matrix (a feed
          # of zeros in many runs sends the kernel there)
          zero <- list(rows = rep(risk[2:1], 5000), col = rep(1L, 10000),
                       v = numeric(10000), wt = list(wts, 1L))
          for (extra in list(list(), list(zero))) {
            a <- .Call(ns$C_stage_gradient, xs, factor, risk,
                       c(list(dense), extra), m, 3L)
            b <- .Call(ns$C_stage_gradient, xs, factor, risk,
                       c(list(fact), extra), m, 3L)
            expect_identical(b, a)
          }
        }
      }
    }
  }
})

test_that("ipw_gee()'s screen of the outcome's squares refuses what their sum refuses", {
  s <- sim_design_panel(n = 300, seed = 64)
  long <- s$long
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  # squares that overflow: refused as before
  w$panel$data$y_big <- w$panel$data$y * 1e160
  expect_error(ipw_gee(y_big ~ wave + g, w),
               class = "panelattrition_nonfinite_error")
  # squares whose bound n max(y^2) passes 1e300 but whose sum is finite:
  # the sum itself decides, as it did
  y <- w$panel$data$y
  w$panel$data$y_wide <- y * (1e150 / max(abs(y)))
  expect_true(is.finite(sum(w$panel$data$y_wide^2)))
  fit <- ipw_gee(y_wide ~ wave + g, w)
  expect_true(all(is.finite(coef(fit))))
  # values that are not finite, found from the range: infinite, NaN
  w$panel$data$y_inf <- w$panel$data$y
  w$panel$data$y_inf[5] <- 0
  expect_error(ipw_gee(I(1 / y_inf) ~ wave + g, w),
               class = "panelattrition_nonfinite_error")
  w$panel$data$y_inf[5] <- -1
  expect_error(suppressWarnings(ipw_gee(sqrt(y_inf) ~ wave + g, w)),
               class = "panelattrition_nonfinite_error")
})

test_that("influence totals formed over the scores equal those formed in a copy", {
  ns <- asNamespace("panelattrition")
  set.seed(5)
  n <- 40L
  m <- matrix(stats::rnorm(n * 3), n, 3)
  d <- matrix(c(-3, 0.5, 0, 0.2, -2, 0.1, 0, 0.3, -4), 3)
  up <- list(list(risk = c(2L, 5L, 9L), cols = c(1L, 3L),
                  u = matrix(stats::rnorm(6), 3, 2)))
  want <- .Call(ns$C_influence_total, list(seq_len(n), m + 0, n), up, d)
  # every row in order: formed in m itself
  m1 <- m + 0
  got <- .Call(ns$C_influence_total, list(seq_len(n), m1, n, TRUE), up, d)
  expect_identical(got, want)
  expect_identical(m1, want)
  # rows not all in order, or dimnames: a copy, m untouched
  m2 <- m + 0
  rows <- c(2:n, 1L)
  got2 <- .Call(ns$C_influence_total, list(rows, m2, n, TRUE), up, d)
  expect_identical(got2, .Call(ns$C_influence_total, list(rows, m + 0, n), up, d))
  expect_identical(m2, m)
  m3 <- m + 0
  dimnames(m3) <- list(NULL, c("a", "b", "c"))
  .Call(ns$C_influence_total, list(seq_len(n), m3, n, TRUE), up, d)
  expect_identical(unname(m3), m)
})

test_that("pairs_sorted() and the answers' weights equal their R formulas", {
  key_sorted <- function(person, wave) {
    top <- if (length(wave)) max(wave) else 0L
    isFALSE(is.unsorted(as.double(person) * (top + 1) + wave))
  }
  pairs_sorted <- panelattrition:::pairs_sorted
  set.seed(41)
  person <- rep(1:200, each = 3)
  wave <- rep(1:3, 200)
  cases <- list(
    list(person, wave),
    list(person[-5], wave[-5]),                       # a gap: still sorted
    list(person[c(2, 1, 3:600)], wave[c(2, 1, 3:600)]),  # waves swapped
    list(rev(person), rev(wave)),                     # people reversed
    list(replace(person, 40, NA), wave),              # missing person
    list(person, replace(wave, 7, NA)),               # missing wave
    list(integer(), integer()), list(1L, 2L),
    list(c(1L, 1L, 2L), c(2L, 2L, 1L)),               # ties
    list(c(1L, 1L), c(0L, 3L)),                       # wave code 0
    list(c(1L, 1L, 2L), c(3L, -1L, 1L))               # negative: the key
  )
  for (k in seq_along(cases)) {
    a <- cases[[k]]
    expect_identical(pairs_sorted(a[[1]], a[[2]]), key_sorted(a[[1]], a[[2]]),
                     info = k)
  }
  # double codes take the key
  expect_identical(pairs_sorted(as.double(person), wave),
                   key_sorted(person, wave))

  w <- matrix(c(runif(400), NA, runif(199)), 200, 3)
  p <- c(sample.int(200, 500, TRUE), NA, 1L)
  t <- c(sample.int(3L, 500, TRUE), 1L, NA)
  expect_identical(.Call(panelattrition:::C_weights_at, w, p, t),
                   w[(t - 1L) * 200L + p])
  # codes out of range are NA (the positions would read another cell)
  expect_identical(.Call(panelattrition:::C_weights_at, w, c(201L, 0L, 5L),
                         c(1L, 2L, 4L)), rep(NA_real_, 3))
  expect_identical(.Call(panelattrition:::C_weights_at, w[, 0], integer(),
                         integer()), double())
})

test_that("the kernel's counts of values per wave equal tabulate()", {
  ns <- asNamespace("panelattrition")
  set.seed(52)
  n <- 5003L
  # codes outside 1..4 (0, negative, above, missing) are not counted
  wave <- sample(c(-1L, 0L, 1L, 2L, 3L, 4L, 5L, NA), n, TRUE)
  na_at <- stats::runif(n) < 0.2
  ys <- list(num = ifelse(na_at, NA, stats::rnorm(n)),
             nan = ifelse(na_at, NaN, 1),
             int = ifelse(na_at, NA_integer_, 3L),
             lgl = ifelse(na_at, NA, FALSE),
             chr = ifelse(na_at, NA, "x"),
             fac = factor(ifelse(na_at, NA, "u")))
  for (y in ys) {
    want <- tabulate(wave[!is.na(y)], 4L)
    expect_identical(ns$wave_value_counts(y, wave, 4L), want)
    expect_identical(.Call(ns$C_value_counts, y, wave, 4L), want)
  }
  # counts of codes (a factor's, by its levels)
  g <- factor(sample(c("a", "b", NA, "d"), n, TRUE), levels = c("a", "b", "c", "d"))
  expect_identical(ns$code_counts(g, 4L), tabulate(g, 4L))
  expect_identical(.Call(ns$C_value_counts, 1:3, 1:3, 0L), integer())
})

test_that("naive influence columns over people who miss an entry's person fall back to the dense values", {
  ns <- asNamespace("panelattrition")
  s <- sim_panel(n = 150, seed = 61)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  rows <- ns$panel_rows(w)
  y <- ns$outcome_values(w, "y", rows)
  cells <- ns$mean_cells(y, "y", rows, ns$group_values(w, "g", rows))
  # people without the first respondent of the first cell
  miss <- rows$person[cells$members[[1L]][1L]]
  people <- setdiff(seq_len(nrow(w$weights)), miss)
  lean <- ns$solve_cells(w, cells, rows, "naive", people = people,
                         lean = TRUE)
  dense <- ns$solve_cells(w, cells, rows, "naive", people = people)
  expect_identical(lean$influence, dense$influence)
  expect_identical(lean$vcov, dense$vcov)
  expect_identical(nrow(lean$influence), length(people))
  # over everyone, the columns give the dense matrix's values
  all_lean <- ns$solve_cells(w, cells, rows, "naive", lean = TRUE)
  all_dense <- ns$solve_cells(w, cells, rows, "naive")
  expect_s3_class(all_lean$influence, "pa_columns")
  expect_identical(ns$dense_influence(all_lean$influence),
                   unname(all_dense$influence))
  expect_identical(all_lean$vcov, all_dense$vcov)
})
