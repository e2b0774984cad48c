# The bad-input matrix, continued: the estimators, the GEE, the bootstrap,
# the survey-package bridges, the sensitivity analyses, the scales and the
# methods. As in test-bad-input.R, each case must end in one of the
# package's own classed errors or in a result checked here.

expect_pa_error <- function(object, class = NULL, argument = NULL) {
  cnd <- expect_error(object, class = "panelattrition_error")
  if (!is.null(class)) expect_s3_class(cnd, class)
  if (!is.null(argument)) expect_identical(cnd$argument, argument)
  invisible(cnd)
}

bad_setup <- function() {
  s <- sim_panel(n = 200)
  set.seed(3)
  long <- s$long
  long$hi <- as.integer(long$y > 55)
  long$emp <- sample(c("employed", "training", "unemployed"), nrow(long),
                     replace = TRUE)
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  list(long = long, panel = panel, w = w)
}

# the same weights with the panel's data (and baseline) edited
with_data <- function(w, col, value, baseline = FALSE) {
  w$panel$data[[col]] <- value(w$panel$data[[col]])
  if (baseline) w$panel$baseline[[col]] <- value(w$panel$baseline[[col]])
  w
}
one_level <- function(w) {
  with_data(w, "g", function(x) factor(rep("a", length(x))), baseline = TRUE)
}
empty_level <- function(w) {
  with_data(w, "g", function(x) factor(as.character(x),
                                       levels = c("a", "b", "c", "z")),
            baseline = TRUE)
}
set_at <- function(i, v) function(x) { x[i] <- v; x }

# wave_means() ---------------------------------------------------------------

test_that("wave_means() names the argument of every wrong type", {
  m <- bad_setup()
  w <- m$w
  expect_pa_error(wave_means(m$long, "y"), argument = "w")
  expect_pa_error(wave_means(m$panel, "y"), argument = "w")
  expect_pa_error(wave_means(NULL, "y"), argument = "w")
  expect_pa_error(wave_means(w, 1), argument = "outcomes")
  expect_pa_error(wave_means(w, NA), argument = "outcomes")
  expect_pa_error(wave_means(w, NULL), argument = "outcomes")
  expect_pa_error(wave_means(w, character()), argument = "outcomes")
  expect_pa_error(wave_means(w, ""), argument = "outcomes")
  expect_pa_error(wave_means(w, "nope"), argument = "outcomes")
  expect_pa_error(wave_means(w, "y", by = 1), argument = "by")
  expect_pa_error(wave_means(w, "y", by = NA), argument = "by")
  expect_pa_error(wave_means(w, "y", by = ""), argument = "by")
  expect_pa_error(wave_means(w, "y", by = "nope"), argument = "by")
  expect_pa_error(wave_means(w, "y", estimator = NA), argument = "estimator")
  expect_pa_error(wave_means(w, "y", se = NA), argument = "se")
  expect_pa_error(wave_means(w, "y", conf_level = NA), argument = "conf_level")
  expect_pa_error(wave_means(w, "y", conf_level = "0.9"),
                  argument = "conf_level")
  expect_pa_error(wave_means(w, "y", ci = "wald"), argument = "ci")
  expect_pa_error(wave_means(w, "y", min_n = -1), argument = "min_n")
  expect_pa_error(wave_means(w, "y", min_n = NA), argument = "min_n")
  expect_pa_error(wave_means(w, "y", min_n = "5"), argument = "min_n")
  expect_pa_error(wave_means(w, "y", outcome_model = "x"),
                  argument = "outcome_model")
  expect_pa_error(wave_means(w, "y", estimator = "aipw",
                             outcome_model = ~ nope))
  expect_pa_error(wave_means(w, "y", control = 5), argument = "control")
})

test_that("wave_means(): Inf is an error, NaN is missing, empty groups drop", {
  m <- bad_setup()
  w <- m$w
  expect_pa_error(wave_means(with_data(w, "y", set_at(5, Inf)), "y"),
                  argument = "outcomes")
  # NaN counts as a missing answer, exactly like NA
  a <- wave_means(with_data(w, "y", set_at(5, NaN)), "y")
  b <- wave_means(with_data(w, "y", set_at(5, NA)), "y")
  expect_identical(as.data.frame(a), as.data.frame(b))
  # a wave where nobody answered the outcome has no row
  t2na <- with_data(w, "y", function(x) replace(x, w$panel$data$wave == "T2",
                                                NA))
  expect_identical(as.character(wave_means(t2na, "y")$wave), c("T1", "T3"))
  # a group level with no respondents has no row; the rest are unchanged
  ref <- as.data.frame(wave_means(w, "y", by = "g"))
  e <- as.data.frame(wave_means(empty_level(w), "y", by = "g"))
  expect_identical(as.character(e$g), as.character(ref$g))
  expect_equal(e$estimate, ref$estimate)
  expect_equal(e$std_error, ref$std_error)
  # a single-level grouping factor: one group, the whole sample per wave
  one <- wave_means(one_level(w), "y", by = "g")
  all <- wave_means(w, "y")
  expect_identical(as.character(one$g), rep("a", 3))
  expect_equal(one$estimate, all$estimate)
  expect_identical(one$n, all$n)
})

# panel_change() ---------------------------------------------------------------

test_that("panel_change() names the argument of every wrong type", {
  m <- bad_setup()
  w <- m$w
  expect_pa_error(panel_change(m$long, "y"), argument = "w")
  expect_pa_error(panel_change(NULL, "y"), argument = "w")
  expect_pa_error(panel_change(w, 1), argument = "outcome")
  expect_pa_error(panel_change(w, NA), argument = "outcome")
  expect_pa_error(panel_change(w, NULL), argument = "outcome")
  expect_pa_error(panel_change(w, c("y", "hi")), argument = "outcome")
  # names `outcomes` (an internal name) rather than `outcome`: see report
  expect_pa_error(panel_change(w, "nope"))
  expect_pa_error(panel_change(w, ""))
  expect_pa_error(panel_change(w, "g"), argument = "outcome")
  expect_pa_error(panel_change(w, "y", from = 1), argument = "from")
  expect_pa_error(panel_change(w, "y", from = NA), argument = "from")
  expect_pa_error(panel_change(w, "y", to = "T9"), argument = "to")
  expect_pa_error(panel_change(w, "y", from = "T1", to = "T1"),
                  argument = "to")
  expect_pa_error(panel_change(w, "y", by = 2), argument = "by")
  expect_pa_error(panel_change(w, "y", by = "nope"), argument = "by")
  expect_pa_error(panel_change(w, "y", se = "x"), argument = "se")
  expect_pa_error(panel_change(w, "y", conf_level = 1),
                  argument = "conf_level")
  expect_pa_error(panel_change(w, "y", foo = 1))
  expect_pa_error(panel_change(with_data(w, "y", set_at(5, Inf)), "y"))
})

test_that("panel_change(): NaN is missing; empty and single groups", {
  m <- bad_setup()
  w <- m$w
  a <- panel_change(with_data(w, "y", set_at(5, NaN)), "y")
  b <- panel_change(with_data(w, "y", set_at(5, NA)), "y")
  expect_identical(as.data.frame(a), as.data.frame(b))
  ref <- panel_change(w, "y", by = "g")
  e <- panel_change(empty_level(w), "y", by = "g")
  expect_identical(as.character(e$g), c("a", "b", "c"))
  expect_equal(e$estimate, ref$estimate)
  one <- panel_change(one_level(w), "y", by = "g")
  expect_identical(nrow(one), 1L)
  expect_equal(one$estimate, panel_change(w, "y")$estimate)
})

# transitions() --------------------------------------------------------------

test_that("transitions() names the argument of every wrong type", {
  m <- bad_setup()
  w <- m$w
  expect_pa_error(transitions(m$long, "emp"), argument = "w")
  expect_pa_error(transitions(NULL, "emp"), argument = "w")
  expect_pa_error(transitions(w, 1), argument = "status")
  expect_pa_error(transitions(w, NA), argument = "status")
  expect_pa_error(transitions(w, NULL), argument = "status")
  # names `outcomes` rather than `status`: see report
  expect_pa_error(transitions(w, "nope"))
  expect_pa_error(transitions(w, ""))
  expect_pa_error(transitions(w, "y"), argument = "status")
  expect_pa_error(transitions(w, "emp", from = 3), argument = "from")
  expect_pa_error(transitions(w, "emp", from = "T1", to = "T1"),
                  argument = "to")
  expect_pa_error(transitions(w, "emp", by = 1), argument = "by")
  expect_pa_error(transitions(w, "emp", by = "nope"), argument = "by")
  expect_pa_error(transitions(w, "emp", ci = NA), argument = "ci")
  expect_pa_error(transitions(w, "emp", se = NA), argument = "se")
})

test_that("transitions(): one status, empty and single-level groups", {
  m <- bad_setup()
  w <- m$w
  # everyone employed: the only transition is employed -> employed, share 1
  # (nobody without the status: shown only with min_n = 0)
  tr <- transitions(with_data(w, "emp", function(x) rep("employed", length(x))),
                    "emp", min_n = 0)
  expect_s3_class(tr, "pa_transitions")
  expect_equal(tr$estimate, rep(1, nrow(tr)))
  ref <- transitions(w, "emp", by = "g")
  e <- transitions(empty_level(w), "emp", by = "g")
  expect_setequal(as.character(e$g), c("a", "b", "c"))
  expect_equal(sort(e$estimate), sort(ref$estimate))
  one <- transitions(one_level(w), "emp", by = "g")
  expect_identical(unique(as.character(one$g)), "a")
  expect_equal(sort(one$estimate), sort(transitions(w, "emp")$estimate))
})

# compare_groups() -----------------------------------------------------------

test_that("compare_groups() refuses wrong tables, refs and adjustments", {
  m <- bad_setup()
  est <- wave_means(m$w, "y", by = "g")
  expect_pa_error(compare_groups(m$long), argument = "x")
  expect_pa_error(compare_groups(NULL), argument = "x")
  expect_pa_error(compare_groups(est, ref = 1), argument = "ref")
  expect_pa_error(compare_groups(est, ref = NA), argument = "ref")
  expect_pa_error(compare_groups(est, ref = "zz"), argument = "ref")
  expect_pa_error(compare_groups(est, adjust = "nope"), argument = "adjust")
  expect_pa_error(compare_groups(est, adjust = NA), argument = "adjust")
  expect_pa_error(compare_groups(est, conf_level = 2), argument = "conf_level")
  expect_pa_error(compare_groups(est[0, ]), argument = "x")
  expect_pa_error(compare_groups(wave_means(one_level(m$w), "y", by = "g")),
                  argument = "x")
})

# ipw_gee() and wald_test() ------------------------------------------------------

test_that("ipw_gee() names the argument of every wrong type", {
  m <- bad_setup()
  w <- m$w
  expect_pa_error(ipw_gee("y ~ wave", w), argument = "formula")
  expect_pa_error(ipw_gee(y ~ wave, NULL), argument = "w")
  expect_pa_error(ipw_gee(y ~ wave, m$long), argument = "w")
  expect_pa_error(ipw_gee(y ~ wave, w, corstr = NA), argument = "corstr")
  expect_pa_error(ipw_gee(y ~ wave, w, data = 5), argument = "data")
  expect_pa_error(ipw_gee(y ~ wave, w, keep = "everything"), argument = "keep")
  expect_pa_error(ipw_gee(y ~ wave, w, keep = TRUE), argument = "keep")
  expect_pa_error(ipw_gee(y ~ wave, w, keep = NA_character_), argument = "keep")
  expect_pa_error(ipw_gee(y ~ wave, w, data = m$long[0, ]), argument = "data")
  expect_pa_error(ipw_gee(g ~ wave, w), argument = "formula")
  expect_pa_error(ipw_gee(emp ~ wave, w), argument = "formula")
  expect_pa_error(ipw_gee(y ~ nope, w), argument = "formula")
  expect_pa_error(ipw_gee(y ~ wave, w, control = "x"), argument = "control")
  expect_pa_error(ipw_gee(y ~ wave, w, control = list(maxit = NA)),
                  argument = "control$maxit")
  expect_pa_error(ipw_gee(y ~ wave, with_data(w, "y", set_at(5, Inf))),
                  argument = "formula")
  # a NaN outcome is missing: the answer is left out, with a message
  w_nan <- with_data(w, "y", set_at(5, NaN))
  expect_message(fit_nan <- ipw_gee(y ~ wave, w_nan),
                 "1 answer with missing values left out")
  expect_identical(nobs(fit_nan), nrow(w_nan$panel$data) - 1L)
  expect_pa_error(ipw_gee(y ~ wave + g, one_level(w)), argument = "formula")
})

test_that("wald_test() takes a GEE fit and its own terms", {
  m <- bad_setup()
  fit <- ipw_gee(y ~ wave + g, m$w)
  expect_pa_error(wald_test(m$long), argument = "object")
  expect_pa_error(wald_test(NULL), argument = "object")
  expect_pa_error(wald_test(fit, 1), argument = "terms")
  expect_pa_error(wald_test(fit, NA), argument = "terms")
  expect_pa_error(wald_test(fit, ""), argument = "terms")
  expect_pa_error(wald_test(fit, character()), argument = "terms")
  expect_pa_error(wald_test(fit, "nope"), argument = "terms")
  expect_pa_error(wald_test(fit, joint = NA), argument = "joint")
  expect_pa_error(wald_test(fit, joint = "yes"), argument = "joint")
})

# boot_control(), replicate_weights(), combine_replicates() -------------------

test_that("boot_control() names the argument of every wrong type", {
  for (B in list(0, NA, "10", 1.5, Inf, NULL)) {
    expect_pa_error(boot_control(B = B), argument = "B")
  }
  expect_pa_error(boot_control(type = NA), argument = "type")
  expect_pa_error(boot_control(seed = "a"), argument = "seed")
  expect_pa_error(boot_control(seed = NA), argument = "seed")
  expect_pa_error(boot_control(threads = 0), argument = "threads")
  expect_pa_error(boot_control(threads = NA), argument = "threads")
  expect_pa_error(boot_control(chunk = "a"), argument = "chunk")
  expect_pa_error(boot_control(chunk = c(0, 2)), argument = "chunk")
})

test_that("replicate_weights() and combine_replicates() take their own objects", {
  m <- bad_setup()
  w <- m$w
  expect_pa_error(replicate_weights(m$long), argument = "w")
  expect_pa_error(replicate_weights(NULL), argument = "w")
  expect_pa_error(replicate_weights(w, control = list(B = 10)),
                  argument = "control")
  expect_pa_error(replicate_weights(w, control = 10), argument = "control")
  expect_pa_error(replicate_weights(w, control = NULL), argument = "control")
  expect_pa_error(combine_replicates(NULL), argument = "x")
  expect_pa_error(combine_replicates(list()), argument = "x")
  expect_pa_error(combine_replicates(m$long), argument = "x")
  expect_pa_error(combine_replicates(list(1, 2)), argument = "x")
  # one part, alone or in a list, is the whole
  r <- replicate_weights(w, boot_control(10, seed = 1, threads = 1))
  expect_identical(combine_replicates(list(r)), r)
  expect_identical(combine_replicates(r), r)
})

# as_svydesign(), as_svrepdesign() --------------------------------------------

test_that("the survey bridges name the argument of every wrong type", {
  m <- bad_setup()
  w <- m$w
  for (fun in list(as_svydesign, as_svrepdesign)) {
    expect_pa_error(fun(m$long, "T1"), argument = "w")
    expect_pa_error(fun(NULL, "T1"), argument = "w")
    for (wave in list(1, NA, "", NULL, c("T1", "T2"), "T9")) {
      expect_pa_error(fun(w, wave), argument = "wave")
    }
  }
  expect_pa_error(as_svrepdesign(w, "T2", B = 0), argument = "B")
  expect_pa_error(as_svrepdesign(w, "T2", B = NA), argument = "B")
  expect_pa_error(as_svrepdesign(w, "T2", control = 3), argument = "control")
  expect_pa_error(as_svrepdesign(w, "T2", replicates = m$long),
                  argument = "replicates")
  expect_pa_error(as_svrepdesign(w, "T2", replicates = 5),
                  argument = "replicates")
  expect_pa_error(as_svrepdesign(w, "T2", mse = NA), argument = "mse")
  expect_pa_error(as_svrepdesign(w, "T2", mse = "yes"), argument = "mse")
})

# tipping_point(), tilt_sensitivity(), attrition_bounds() ---------------------

test_that("tipping_point() names the argument of every wrong type", {
  m <- bad_setup()
  est <- wave_means(m$w, "y", by = "g")
  expect_pa_error(tipping_point(m$long, 0), argument = "x")
  expect_pa_error(tipping_point(NULL, 0), argument = "x")
  for (delta in list("a", NA, numeric(), Inf, NaN, NULL)) {
    expect_pa_error(tipping_point(est, delta, null = 55), argument = "delta")
  }
  expect_pa_error(tipping_point(est, 0), argument = "null")
  expect_pa_error(tipping_point(est, 0, null = "x"), argument = "null")
  expect_pa_error(tipping_point(est, 0, null = NA), argument = "null")
  expect_pa_error(tipping_point(est, 0, null = 55, conf_level = 2),
                  argument = "conf_level")
  expect_pa_error(tipping_point(est, 0, null = 55, search = -1),
                  argument = "search")
  expect_pa_error(tipping_point(est, 0, null = 55, search = NA),
                  argument = "search")
  expect_pa_error(tipping_point(est, 0, null = 55, criterion = "x"),
                  argument = "criterion")
  expect_pa_error(tipping_point(est[0, ], 0))
})

test_that("tilt_sensitivity() names the argument of every wrong type", {
  m <- bad_setup()
  w <- m$w
  expect_pa_error(tilt_sensitivity(m$long, "y", 0), argument = "w")
  expect_pa_error(tilt_sensitivity(NULL, "y", 0), argument = "w")
  for (outcome in list(1, NA, NULL)) {
    expect_pa_error(tilt_sensitivity(w, outcome, 0), argument = "outcome")
  }
  expect_pa_error(tilt_sensitivity(w, "", 0), argument = "outcome")
  expect_pa_error(tilt_sensitivity(w, "nope", 0), argument = "outcome")
  for (alpha in list("a", NA, Inf, numeric())) {
    expect_pa_error(tilt_sensitivity(w, "y", alpha), argument = "alpha")
  }
  expect_pa_error(tilt_sensitivity(w, "y", 0, wave = 2), argument = "wave")
  expect_pa_error(tilt_sensitivity(w, "y", 0, by = 1), argument = "by")
  expect_pa_error(tilt_sensitivity(w, "y", 0, by = "nope"), argument = "by")
  expect_pa_error(tilt_sensitivity(w, "y", 0, conf_level = NA), argument = "conf_level")
  expect_pa_error(tilt_sensitivity(w, "y", 0, category = 1),
                  argument = "category")
  expect_pa_error(tilt_sensitivity(w, "g", 0), argument = "category")
  expect_pa_error(tilt_sensitivity(w, "emp", 0, category = "zz"),
                  argument = "category")
  expect_pa_error(tilt_sensitivity(w, "y", 0, scale = NA), argument = "scale")
  expect_pa_error(tilt_sensitivity(w, "y", 0, control = 1),
                  argument = "control")
  expect_pa_error(tilt_sensitivity(with_data(w, "y", set_at(5, Inf)), "y", 0),
                  argument = "outcome")
})

test_that("tilt_sensitivity() without `alpha` is an argument error", {
  m <- bad_setup()
  expect_pa_error(tilt_sensitivity(m$w, "y"), argument = "alpha")
})

test_that("tilt_sensitivity(): NaN is missing; empty and single groups", {
  m <- bad_setup()
  w <- m$w
  a <- tilt_sensitivity(with_data(w, "y", set_at(5, NaN)), "y", c(0, 0.1))
  b <- tilt_sensitivity(with_data(w, "y", set_at(5, NA)), "y", c(0, 0.1))
  expect_identical(as.data.frame(a), as.data.frame(b))
  ref <- tilt_sensitivity(w, "y", 0, by = "g")
  e <- tilt_sensitivity(empty_level(w), "y", 0, by = "g")
  expect_identical(as.character(e$g), as.character(ref$g))
  expect_equal(e$estimate, ref$estimate)
  one <- tilt_sensitivity(one_level(w), "y", 0, by = "g")
  expect_identical(unique(as.character(one$g)), "a")
  expect_equal(one$estimate, tilt_sensitivity(w, "y", 0)$estimate)
})

test_that("attrition_bounds() names the argument of every wrong type", {
  m <- bad_setup()
  w <- m$w
  expect_pa_error(attrition_bounds(m$long, "hi"), argument = "w")
  expect_pa_error(attrition_bounds(NULL, "hi"), argument = "w")
  expect_pa_error(attrition_bounds(w, 1), argument = "outcome")
  expect_pa_error(attrition_bounds(w, NA), argument = "outcome")
  expect_pa_error(attrition_bounds(w, ""), argument = "outcome")
  expect_pa_error(attrition_bounds(w, "nope"), argument = "outcome")
  expect_pa_error(attrition_bounds(w, "y"))
  expect_pa_error(attrition_bounds(w, "hi", by = 1), argument = "by")
  expect_pa_error(attrition_bounds(w, "hi", by = "nope"), argument = "by")
  expect_pa_error(attrition_bounds(w, "hi", wave = 3), argument = "wave")
  expect_pa_error(attrition_bounds(w, "hi", assume = NA), argument = "assume")
  expect_pa_error(attrition_bounds(w, "hi", conf_level = 5), argument = "conf_level")
  expect_pa_error(attrition_bounds(w, "emp"), argument = "category")
  expect_pa_error(attrition_bounds(w, "emp", category = "zz"),
                  argument = "category")
  expect_pa_error(attrition_bounds(w, "emp", category = 1),
                  argument = "category")
  inf <- with_data(w, "hi", function(x) replace(as.numeric(x), 3, Inf))
  expect_pa_error(attrition_bounds(inf, "hi"), argument = "outcome")
})

test_that("attrition_bounds(): NaN is missing; empty and single groups", {
  m <- bad_setup()
  w <- m$w
  nan <- with_data(w, "hi", function(x) replace(as.numeric(x), 3, NaN))
  na <- with_data(w, "hi", function(x) replace(as.numeric(x), 3, NA))
  expect_identical(as.data.frame(attrition_bounds(nan, "hi")),
                   as.data.frame(attrition_bounds(na, "hi")))
  ref <- attrition_bounds(w, "hi", by = "g")
  e <- attrition_bounds(empty_level(w), "hi", by = "g")
  expect_identical(as.character(e$g), as.character(ref$g))
  expect_equal(e$lower, ref$lower)
  expect_equal(e$upper, ref$upper)
  one <- attrition_bounds(one_level(w), "hi", by = "g")
  expect_identical(unique(as.character(one$g)), "a")
  expect_equal(one$lower, attrition_bounds(w, "hi")$lower)
})

# score_scale(), scale_reliability(), score_instrument(), mhc_category() ------

test_that("score_scale() names the argument of every wrong type", {
  d <- data.frame(q1 = c(1, 2, 3, 4), q2 = c(2, 3, 4, 5), q3 = c(5, 4, 3, 1))
  expect_pa_error(score_scale(as.list(d), "q1"), argument = "data")
  expect_pa_error(score_scale(NULL, "q1"), argument = "data")
  for (items in list(1, NA, NULL, "", character())) {
    expect_pa_error(score_scale(d, items), argument = "items")
  }
  expect_pa_error(score_scale(d, "nope"), "panelattrition_scale_error")
  expect_pa_error(score_scale(d, "q1", reverse = 1), argument = "reverse")
  expect_pa_error(score_scale(d, "q1", range = "a"), argument = "range")
  expect_pa_error(score_scale(d, "q1", range = NA), argument = "range")
  expect_pa_error(score_scale(d, "q1", min_items = NA), argument = "min_items")
  expect_pa_error(score_scale(d, "q1", fun = NA), argument = "fun")
  expect_pa_error(score_scale(data.frame(q1 = c(1, Inf)), "q1"),
                  "panelattrition_scale_error")
  expect_pa_error(score_scale(data.frame(q1 = c("a", "b")), "q1"),
                  "panelattrition_scale_error")
  # empty data score to nothing; NaN is a missing answer
  expect_identical(as.vector(score_scale(d[0, ], c("q1", "q2"))), numeric())
  s <- score_scale(data.frame(q1 = c(1, NaN), q2 = c(3, NA)), c("q1", "q2"))
  expect_equal(as.vector(s), c(2, NA))
})

test_that("scale_reliability() names the argument of every wrong type", {
  d <- data.frame(q1 = c(1, 2, 3, 4), q2 = c(2, 3, 4, 5), q3 = c(5, 4, 3, 1))
  expect_pa_error(scale_reliability(NULL, c("q1", "q2")), argument = "data")
  for (items in list(1, NA, "", "q1")) {
    expect_pa_error(scale_reliability(d, items), argument = "items")
  }
  expect_pa_error(scale_reliability(d, c("q1", "nope")),
                  "panelattrition_scale_error")
  expect_pa_error(scale_reliability(d, c("q1", "q2"), conf_level = NA),
                  argument = "conf_level")
  expect_pa_error(scale_reliability(d[0, ], c("q1", "q2")),
                  "panelattrition_scale_error")
  expect_pa_error(scale_reliability(d[1, ], c("q1", "q2")),
                  "panelattrition_scale_error")
  expect_pa_error(scale_reliability(data.frame(q1 = c(1, Inf, 3),
                                               q2 = c(1, 2, 3)),
                                    c("q1", "q2")),
                  "panelattrition_scale_error")
  expect_pa_error(scale_reliability(data.frame(q1 = c(2, 2, 2),
                                               q2 = c(2, 2, 2)),
                                    c("q1", "q2")),
                  "panelattrition_scale_error")
  # NaN drops its row like NA
  a <- scale_reliability(data.frame(q1 = c(1, NaN, 3, 4, 2),
                                    q2 = c(1, 2, 3, 5, 3)), c("q1", "q2"))
  b <- scale_reliability(data.frame(q1 = c(1, NA, 3, 4, 2),
                                    q2 = c(1, 2, 3, 5, 3)), c("q1", "q2"))
  expect_identical(a, b)
})

test_that("score_instrument() and mhc_category() name every wrong argument", {
  d <- data.frame(q1 = 1:3)
  mhc <- as.data.frame(matrix(3, 2, 14,
                              dimnames = list(NULL, paste0("mhc", 1:14))))
  expect_pa_error(score_instrument(NULL, "gse", "gse"), argument = "data")
  for (instrument in list(1, NA, "nope")) {
    expect_pa_error(score_instrument(d, instrument, "gse"),
                    argument = "instrument")
  }
  expect_pa_error(score_instrument(d, "gse", 1), argument = "prefix")
  expect_pa_error(score_instrument(d, "gse", NA), argument = "prefix")
  expect_pa_error(score_instrument(d, "gse", ""), argument = "prefix")
  expect_pa_error(score_instrument(d, "gse", "q"), "panelattrition_scale_error")
  expect_pa_error(score_instrument(mhc, "mhc_sf", "mhc", scales = 1),
                  argument = "scales")
  expect_pa_error(score_instrument(mhc, "mhc_sf", "mhc", scales = "nope"),
                  argument = "scales")
  expect_identical(nrow(score_instrument(mhc[0, ], "mhc_sf", "mhc")), 0L)

  expect_pa_error(mhc_category(NULL), argument = "data")
  expect_pa_error(mhc_category(as.list(mhc)), argument = "data")
  expect_pa_error(mhc_category(mhc, 1), argument = "prefix")
  expect_pa_error(mhc_category(mhc, NA), argument = "prefix")
  expect_pa_error(mhc_category(mhc, ""), "panelattrition_scale_error")
  expect_pa_error(mhc_category(mhc[, 1:13]), "panelattrition_scale_error")
  lv <- c("languishing", "moderate", "flourishing")
  expect_identical(mhc_category(mhc[0, ]), factor(character(), levels = lv))
  bad <- mhc
  bad$mhc1[1] <- Inf
  expect_pa_error(mhc_category(bad), "panelattrition_scale_error")
  bad$mhc1[1] <- 6
  expect_pa_error(mhc_category(bad), "panelattrition_scale_error")
  bad$mhc1[1] <- NaN
  expect_identical(mhc_category(bad), factor(c(NA, "moderate"), levels = lv))
})

test_that("score_instrument() without `prefix` is an argument error", {
  expect_pa_error(score_instrument(data.frame(q1 = 1), "gse"),
                  argument = "prefix")
})

# methods ----------------------------------------------------------------------

test_that("tidy(), glance(), summary() of estimates: levels and empty tables", {
  m <- bad_setup()
  est <- wave_means(m$w, "y", by = "g")
  expect_pa_error(generics::tidy(est, conf.int = TRUE, conf.level = 2),
                  argument = "conf.level")
  expect_pa_error(generics::tidy(est, conf.int = TRUE, conf.level = NA),
                  argument = "conf.level")
  expect_identical(nrow(generics::tidy(est[0, ])), 0L)
  expect_s3_class(generics::glance(est[0, ]), "data.frame")
  expect_s3_class(summary(est[0, ]), "summary.pa_estimates")
})

test_that("tidy() of estimates checks `conf.int`", {
  m <- bad_setup()
  est <- wave_means(m$w, "y")
  expect_pa_error(generics::tidy(est, conf.int = NA), argument = "conf.int")
  expect_pa_error(generics::tidy(est, conf.int = "yes"), argument = "conf.int")
})

test_that("tidy() of estimates checks a character `conf.level`", {
  m <- bad_setup()
  est <- wave_means(m$w, "y")
  expect_pa_error(generics::tidy(est, conf.int = TRUE, conf.level = "a"),
                  argument = "conf.level")
})

test_that("tidy(), confint(), predict() of a GEE fit", {
  m <- bad_setup()
  fit <- ipw_gee(y ~ wave + g, m$w)
  # the error names confint()'s `level`, not tidy()'s `conf.level`
  expect_pa_error(generics::tidy(fit, conf.int = TRUE, conf.level = 2))
  expect_pa_error(generics::tidy(fit, conf.int = TRUE, conf.level = NA))
  expect_pa_error(confint(fit, level = 2), argument = "level")
  expect_pa_error(confint(fit, parm = "nope"), argument = "parm")
  expect_pa_error(confint(fit, parm = 99), argument = "parm")
  expect_pa_error(predict(fit, newdata = 5), argument = "newdata")
  expect_pa_error(predict(fit, newdata = data.frame(x = 1)),
                  argument = "newdata")
  expect_pa_error(predict(fit, type = NA), argument = "type")
  expect_identical(length(predict(fit, newdata = m$long[0, ])), 0L)
})

test_that("plot() methods check their arguments", {
  m <- bad_setup()
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  est <- wave_means(m$w, "y", by = "g")
  expect_pa_error(plot(m$w, type = "nope"), argument = "type")
  tp <- tipping_point(est, delta = c(-1, 0), null = 55)
  expect_pa_error(plot(tp, which = "nope"), argument = "which")
  expect_pa_error(plot(tp, which = NA), argument = "which")
  expect_pa_error(plot(tp, which = 99), argument = "which")
  tl <- tilt_sensitivity(m$w, "y", c(0, 0.1))
  # an empty table has nothing to plot: our error, not the graphics one
  expect_pa_error(plot(tl[0, ]))
})

test_that("plot() of an empty estimates table is our error", {
  m <- bad_setup()
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_pa_error(plot(wave_means(m$w, "y")[0, ]))
})

test_that("plot() of an empty tipping-point table is our error", {
  m <- bad_setup()
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  tp <- tipping_point(wave_means(m$w, "y"), delta = c(-1, 0), null = 55)
  expect_pa_error(plot(tp[0, ]))
})

# Size guards and the remaining plain R errors (issue 13) ---------------------

# the error, its class and the argument, and that the message names the
# function and the argument (or variable) it is about
expect_named_error <- function(object, class, argument, fun, names) {
  cnd <- expect_pa_error(object, class = class, argument = argument)
  msg <- conditionMessage(cnd)
  expect_match(msg, paste0("^", fun, "\\(\\): "))
  expect_match(msg, paste0("`", names, "`"), fixed = TRUE)
  invisible(cnd)
}
all_na <- function(w, col, wave = NULL) {
  d <- w$panel$data
  at <- if (is.null(wave)) rep(TRUE, nrow(d)) else d$wave == wave
  d[[col]][at] <- NA
  w$panel$data <- d
  w
}

test_that("an outcome without values is a classed error in every estimator", {
  m <- bad_setup()
  w <- m$w
  cls <- "panelattrition_no_answers_error"
  # over all waves: an outcome with no value anywhere (a wave where it was
  # not asked just has no row, see above)
  expect_named_error(wave_means(all_na(w, "y"), "y"), cls, "outcomes",
                     "wave_means", "y")
  expect_named_error(ipw_gee(y ~ wave, all_na(w, "y")), cls, "formula",
                     "ipw_gee", "y")
  # at a wave an estimate is about
  t2 <- all_na(w, "y", "T2")
  expect_named_error(panel_change(t2, "y", from = "T1", to = "T2"), cls,
                     "outcome", "panel_change", "y")
  expect_named_error(transitions(all_na(w, "emp", "T2"), "emp", from = "T1",
                                 to = "T2"),
                     cls, "status", "transitions", "emp")
  expect_named_error(tilt_sensitivity(t2, "y", alpha = c(0, 0.1),
                                      wave = "T2"),
                     cls, "outcome", "tilt_sensitivity", "y")
  expect_named_error(tilt_sensitivity(t2, "y", alpha = c(0, 0.1)),
                     cls, "outcome", "tilt_sensitivity", "y")
  expect_named_error(attrition_bounds(all_na(w, "hi", "T2"), "hi"), cls,
                     "outcome", "attrition_bounds", "hi")
  expect_named_error(attrition_bounds(all_na(w, "hi", "T3"), "hi",
                                      wave = "T3"),
                     cls, "outcome", "attrition_bounds", "hi")
})

test_that("nobody at both waves is a classed error, not a matrix error", {
  m <- bad_setup()
  w <- m$w
  d <- w$panel$data
  later <- d$id %in% d$id[d$wave == "T3"]
  d$y[d$wave == "T1" & later] <- NA
  d$emp[d$wave == "T1" & later] <- NA
  w$panel$data <- d
  cnd <- expect_named_error(panel_change(w, "y", from = "T1", to = "T3"),
                            "panelattrition_no_answers_error", "outcome",
                            "panel_change", "y")
  expect_match(conditionMessage(cnd), "both wave T1 and wave T3")
  expect_named_error(transitions(w, "emp", from = "T1", to = "T3"),
                     "panelattrition_no_answers_error", "status",
                     "transitions", "emp")
})

test_that("an empty panel, and list or matrix columns, are refused by name", {
  m <- bad_setup()
  long <- m$long
  expect_named_error(panel_data(long[0, ], id = "id", wave = "wave"),
                     "panelattrition_empty_error", "data", "panel_data",
                     "data")
  cls <- "panelattrition_column_error"
  l <- long
  l$L <- I(as.list(seq_len(nrow(l))))
  l$M <- I(matrix(1, nrow(l), 2))
  l$wl <- I(as.list(l$wave))
  l$wm <- I(matrix(l$wave, ncol = 1))
  l$il <- I(as.list(l$id))
  l$im <- I(matrix(l$id, ncol = 1))
  expect_named_error(panel_data(l, "id", "wave", baseline = c("g", "L")),
                     cls, "baseline", "panel_data", "L")
  expect_named_error(panel_data(l, "id", "wave", baseline = "M"),
                     cls, "baseline", "panel_data", "M")
  expect_named_error(panel_data(l, "id", "wl"), cls, "wave", "panel_data",
                     "wl")
  expect_named_error(panel_data(l, "id", "wm"), cls, "wave", "panel_data",
                     "wm")
  expect_named_error(panel_data(l, "il", "wave"), cls, "id", "panel_data",
                     "il")
  expect_named_error(panel_data(l, "im", "wave"), cls, "id", "panel_data",
                     "im")
  frame <- unique(long[c("id", "g")])
  frame$F <- I(as.list(seq_len(nrow(frame))))
  expect_named_error(panel_data(long, "id", "wave", frame = frame,
                                baseline = "F"),
                     cls, "baseline", "panel_data", "F")
  # a frame column that the weights' formula uses
  pf <- panel_data(long, "id", "wave", frame = frame, baseline = "g")
  expect_named_error(attrition_weights(pf, ~ g + F), cls, "formula",
                     "attrition_weights", "F")
  # as outcome, group or model variable of the estimators
  p <- panel_data(l, "id", "wave", baseline = c("g", "age"))
  w <- attrition_weights(p, ~ g + age)
  for (col in c("L", "M")) {
    expect_named_error(wave_means(w, col), cls, "outcomes", "wave_means", col)
    expect_named_error(wave_means(w, "y", by = col), cls, "by", "wave_means",
                       col)
    expect_named_error(panel_change(w, col), cls, "outcome", "panel_change",
                       col)
    expect_named_error(transitions(w, col), cls, "status", "transitions", col)
    expect_named_error(tilt_sensitivity(w, col, alpha = 0), cls, "outcome",
                       "tilt_sensitivity", col)
    expect_named_error(attrition_bounds(w, col), cls, "outcome",
                       "attrition_bounds", col)
    expect_named_error(ipw_gee(stats::as.formula(paste("y ~ wave +", col)), w),
                       cls, "formula", "ipw_gee", col)
    # as a `history` variable of the weights (was an unclassed model.frame()
    # error, "invalid type (list) for variable 'L_prev'", naming no argument)
    expect_named_error(attrition_weights(p, ~ g + age, history = col),
                       cls, "history", "attrition_weights", col)
  }
})

test_that("min_n must be finite and non-negative everywhere", {
  m <- bad_setup()
  w <- m$w
  for (bad in list(Inf, -1, NA, NaN, c(5, 5))) {
    expect_named_error(wave_means(w, "y", min_n = bad),
                       "panelattrition_arg_error", "min_n", "wave_means",
                       "min_n")
    expect_pa_error(panel_change(w, "y", min_n = bad), argument = "min_n")
    expect_pa_error(transitions(w, "emp", min_n = bad), argument = "min_n")
    expect_pa_error(ipw_gee(y ~ wave, w, min_n = bad), argument = "min_n")
    expect_pa_error(tilt_sensitivity(w, "y", alpha = 0, min_n = bad),
                    argument = "min_n")
    expect_pa_error(attrition_bounds(w, "hi", min_n = bad),
                    argument = "min_n")
  }
})

test_that("compare_groups() refuses a doubled table and a vector `ref`", {
  m <- bad_setup()
  est <- wave_means(m$w, "y", by = "g")
  expect_named_error(compare_groups(rbind(est, est)),
                     "panelattrition_table_error", "x", "compare_groups", "x")
  expect_named_error(compare_groups(est, ref = c("a", "b")),
                     "panelattrition_arg_error", "ref", "compare_groups",
                     "ref")
})

test_that("a factor covariate with more levels than half the people is refused at once", {
  m <- bad_setup()
  long <- m$long
  ids <- unique(long$id)
  # 150 levels among 200 people, one value per person
  lv <- stats::setNames(sprintf("k%03d", rep_len(seq_len(150), length(ids))),
                        ids)
  long$big <- factor(lv[long$id])
  p <- panel_data(long, "id", "wave", baseline = c("g", "age", "big"))
  cnd <- expect_named_error(attrition_weights(p, ~ g + big),
                            "panelattrition_levels_error", "formula",
                            "attrition_weights", "big")
  expect_match(conditionMessage(cnd), "has 150 levels")
  expect_match(conditionMessage(cnd), "Collapse")
  expect_identical(cnd$levels, 150)
  # also as a character column, and in the outcome model of the AIPW
  long$big <- as.character(long$big)
  p <- panel_data(long, "id", "wave", baseline = c("g", "age", "big"))
  expect_pa_error(attrition_weights(p, ~ age + big),
                  class = "panelattrition_levels_error", argument = "formula")
  w <- attrition_weights(p, ~ g + age)
  expect_named_error(wave_means(w, "y", estimator = "aipw",
                                outcome_model = ~ age + big),
                     "panelattrition_levels_error", "outcome_model",
                     "wave_means", "big")
})

test_that("the design matrix is checked against the memory limit before it is built", {
  m <- bad_setup()
  long <- m$long
  ids <- unique(long$id)
  lv <- stats::setNames(sprintf("k%02d", rep_len(seq_len(40), length(ids))),
                        ids)
  long$mid <- factor(lv[long$id])
  p <- panel_data(long, "id", "wave", baseline = c("g", "age", "mid"))
  # 200 people x (1 + 2 + 39 + 39 * 2) columns x 8 bytes = 192,000 bytes
  old <- options(panelattrition.max_bytes = 1e5)
  on.exit(options(old))
  cnd <- expect_named_error(attrition_weights(p, ~ g + mid + g:mid),
                            "panelattrition_size_error", "formula",
                            "attrition_weights", "panelattrition.max_bytes")
  expect_equal(cnd$bytes, 8 * 200 * (1 + 2 + 39 + 78))
  expect_match(conditionMessage(cnd), "200 people by 120 columns")
  # a smaller model passes
  expect_s3_class(attrition_weights(p, ~ g + age), "pa_weights")
})

test_that("wave_means(by =) with too many groups stops before the cells are built", {
  m <- bad_setup()
  w <- m$w
  # a long-data grouping column with (almost) one group per answer
  w$panel$data$gg <- sprintf("grp%04d", seq_len(nrow(w$panel$data)))
  cnd <- expect_named_error(wave_means(w, "y", by = "gg"),
                            "panelattrition_groups_error", "by",
                            "wave_means", "by")
  expect_identical(cnd$max_groups, 40)
  expect_match(conditionMessage(cnd), "more than the 40")
  expect_pa_error(panel_change(w, "y", by = "gg"),
                  class = "panelattrition_groups_error", argument = "by")
  # the limit is the people divided by `min_n`
  expect_pa_error(wave_means(w, "y", by = "gg", min_n = 1),
                  class = "panelattrition_groups_error", argument = "by")
  # the memory estimate of the cells, without allocating: 3 waves x 3
  # groups x 2 levels, 200 people, against a limit of 10 KB
  old <- options(panelattrition.max_bytes = 1e4)
  on.exit(options(old))
  cnd <- expect_named_error(wave_means(w, "emp", by = "g"),
                            "panelattrition_size_error", "outcomes",
                            "wave_means", "panelattrition.max_bytes")
  expect_gt(cnd$bytes, 8 * 200 * 27 * 5)
  expect_match(conditionMessage(cnd), "27 cells")
  expect_pa_error(wave_means(w, "y", by = "g"),
                  class = "panelattrition_size_error", argument = "by")
})

test_that("a bootstrap of 1e7 replicates is refused from its memory estimate", {
  m <- bad_setup()
  ctrl <- boot_control(B = 1e7, seed = 1)
  expect_identical(ctrl$B, 10000000L)
  cnd <- expect_named_error(wave_means(m$w, "y", se = "bootstrap",
                                       control = ctrl),
                            "panelattrition_size_error", "control",
                            "wave_means", "control = boot_control(B = )")
  expect_gt(cnd$bytes, 8 * 1e7 * 400)
  # (dense storage: compact storage keeps no matrices, only a record of
  # which replicates failed, and is guarded in test-estimates-objects.R)
  expect_pa_error(replicate_weights(m$w, ctrl, storage = "dense"),
                  class = "panelattrition_size_error", argument = "control")
})

# vcov() of compare_groups() and messages in bullets (issue 17) -------------

test_that("vcov() of a comparison is L V L' and follows its rows", {
  m <- bad_setup()
  est <- wave_means(m$w, "y", by = "g")
  cmp <- compare_groups(est)
  v <- vcov(est)
  key <- paste(est$wave, est$g)
  l <- matrix(0, nrow(cmp), nrow(est))
  for (k in seq_len(nrow(cmp))) {
    l[k, match(paste(cmp$wave[k], cmp$group[k]), key)] <- 1
    l[k, match(paste(cmp$wave[k], cmp$versus[k]), key)] <- -1
  }
  hand <- l %*% v %*% t(l)
  vc <- vcov(cmp)
  expect_equal(dim(vc), c(nrow(cmp), nrow(cmp)))
  expect_equal(vc, hand, tolerance = 1e-12)
  expect_equal(sqrt(diag(vc)), cmp$std_error, tolerance = 1e-10)
  # with a reference group, and after reordering or subsetting the rows
  cmp_a <- compare_groups(est, ref = "a")
  expect_equal(sqrt(diag(vcov(cmp_a))), cmp_a$std_error, tolerance = 1e-10)
  ord <- rev(seq_len(nrow(cmp)))
  expect_equal(vcov(cmp[ord, ]), hand[ord, ord], tolerance = 1e-12)
  sub <- which(cmp$wave == "T2")
  expect_equal(vcov(cmp[sub, ]), hand[sub, sub], tolerance = 1e-12)
  # a doubled or edited comparison has no known covariance
  expect_pa_error(vcov(cmp[c(1, 1), ]), class = "panelattrition_table_error",
                  argument = "object")
  edited <- cmp
  edited$estimate[1] <- edited$estimate[1] + 1
  expect_pa_error(vcov(edited), class = "panelattrition_table_error",
                  argument = "object")
})

test_that("messages come as a header and cli-style bullets", {
  m <- bad_setup()
  cnd <- expect_pa_error(wave_means(m$w, "y", by = "gg"), argument = "by")
  lines <- strsplit(conditionMessage(cnd), "\n", fixed = TRUE)[[1]]
  expect_length(lines, 2L)
  expect_match(lines[1], "^wave_means\\(\\): `by` names `gg`")
  expect_match(lines[2], "Did you mean `g`?", fixed = TRUE)
  expect_identical(unname(cnd$bullets), "Did you mean `g`?")
  expect_identical(names(cnd$bullets), "i")
  # problem and hint bullets keep the class and the argument
  cnd <- expect_pa_error(panel_data(m$long[0, ], "id", "wave"),
                         class = "panelattrition_panel_error",
                         argument = "data")
  expect_identical(names(cnd$bullets), "i")
  expect_match(conditionMessage(cnd), "\n.+ Check the filter")
  # the bullets of pa_abort(): x, i, ! and plain
  cnd <- tryCatch(pa_abort(c("Head.", x = "Bad.", i = "Hint.", "!" = "Care.",
                             "*" = "Note."), class = "panelattrition_x_error",
                           argument = "a"),
                  error = identity)
  expect_s3_class(cnd, "panelattrition_x_error")
  expect_identical(cnd$argument, "a")
  expect_identical(strsplit(conditionMessage(cnd), "\n")[[1]],
                   c("Head.", paste(cli::symbol$cross, "Bad."),
                     paste(cli::symbol$info, "Hint."), "! Care.",
                     paste(cli::symbol$bullet, "Note.")))
  # a single string is unchanged
  cnd <- tryCatch(pa_abort("Just this.", class = "panelattrition_x_error"),
                  error = identity)
  expect_identical(conditionMessage(cnd), "Just this.")
  expect_identical(cnd$bullets, character())
})

test_that("weights edited by hand and repeated outcomes are refused", {
  s <- sim_panel(300)
  p <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(p, ~ g + age)
  # a row of the weights dropped: the kernels would index past the panel
  w_short <- w
  w_short$weights <- w_short$weights[-1, ]
  for (f in list(function(x) wave_means(x, "y"),
                 function(x) panel_change(x, "y"),
                 function(x) ess(x))) {
    err <- tryCatch(f(w_short), error = identity)
    expect_s3_class(err, "panelattrition_arg_error")
    expect_identical(err$argument, "w")
    expect_match(conditionMessage(err), "has been altered", fixed = TRUE)
  }
  w_vec <- w
  w_vec$weights <- as.vector(w_vec$weights)
  expect_error(wave_means(w_vec, "y"), class = "panelattrition_arg_error")
  # the same outcome twice would give duplicated rows and a singular vcov
  err <- tryCatch(wave_means(w, c("y", "y")), error = identity)
  expect_s3_class(err, "panelattrition_arg_error")
  expect_identical(err$argument, "outcomes")
  expect_match(conditionMessage(err), "`y` more than once", fixed = TRUE)
  expect_s3_class(wave_means(w, "y"), "pa_estimates")
})
