# tidy() and glance() after library(panelattrition), for every result, in
# the broom convention, with suppressed cells kept suppressed.

tidy_objects <- function() {
  s <- sim_panel(600, seed = 3)
  d <- s$long
  d$status <- factor(ifelse(d$y > 55, "high", ifelse(d$y > 48, "mid", "low")))
  panel <- panel_data(d, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  m <- suppressMessages(wave_means(w, "y", by = "g"))
  ch <- suppressMessages(panel_change(w, "y", by = "g"))
  list(
    w = w, m = m, change = ch,
    cat = suppressMessages(wave_means(w, "status", by = "g", min_n = 40)),
    cmp = compare_groups(m),
    tr = suppressMessages(transitions(w, "status", from = "T1", to = "T2",
                                      by = "g")),
    gee = ipw_gee(y ~ wave + g, w),
    tip = tipping_point(ch, delta = c(-2, 0, 2)),
    tilt = suppressMessages(tilt_sensitivity(w, "y", alpha = c(-0.1, 0, 0.1),
                                             by = "g", min_n = 80)),
    bounds = suppressMessages(attrition_bounds(w, "status", category = "high",
                                               by = "g", min_n = 40))
  )
}

test_that("tidy() and glance() are available after library(panelattrition)", {
  expect_true("tidy" %in% getNamespaceExports("panelattrition"))
  expect_true("glance" %in% getNamespaceExports("panelattrition"))
  env <- new.env(parent = baseenv())
  expect_true(exists("tidy", envir = as.environment("package:panelattrition")))
})

test_that("every class has tidy() with the broom columns and glance() with one row", {
  obj <- tidy_objects()
  for (nm in names(obj)) {
    td <- tidy(obj[[nm]], conf.int = TRUE)
    expect_s3_class(td, "data.frame")
    expect_true(all(c("term", "estimate", "std.error", "statistic",
                      "p.value", "conf.low", "conf.high") %in% names(td)),
                label = nm)
    expect_type(td$term, "character")
    expect_false(anyDuplicated(td$term) > 0, label = paste(nm, "unique terms"))
    gl <- glance(obj[[nm]])
    expect_identical(nrow(gl), 1L, label = nm)
    expect_true("nobs" %in% names(gl), label = nm)
  }
})

test_that("tidy() numbers are the tables' own", {
  obj <- tidy_objects()
  td <- tidy(obj$cmp, conf.int = TRUE)
  expect_equal(td$estimate, obj$cmp$estimate)
  expect_equal(td$std.error, obj$cmp$std_error)
  expect_equal(td$p.value, obj$cmp$p_value)
  expect_equal(td$conf.high, obj$cmp$conf_high)
  fit <- obj$gee
  gl <- glance(fit)
  expect_identical(gl$nobs, nobs(fit))
  expect_identical(gl$n_clusters, fit$n_clusters)
  tb <- tidy(obj$bounds)
  shown <- !obj$bounds$suppressed
  expect_equal(tb$estimate[tb$bound == "lower"][shown], obj$bounds$lower[shown])
  expect_equal(tb$estimate[tb$bound == "upper"][shown], obj$bounds$upper[shown])
  tt <- tidy(obj$tip, component = "tipping")
  expect_equal(tt$tipping_delta, attr(obj$tip, "tipping")$tipping_delta)
  tw <- tidy(obj$w)
  rm <- response_models(obj$w)
  expect_equal(tw$estimate, rm$estimate)
  expect_equal(glance(obj$w)$min_ess, min(ess(obj$w)$ess))
})

test_that("suppressed cells stay suppressed in every tidier", {
  obj <- tidy_objects()
  for (nm in c("cat", "tr", "tilt", "bounds")) {
    x <- obj[[nm]]
    expect_true(any(x$suppressed), label = nm)
    td <- tidy(x, conf.int = TRUE)
    expect_true(all(is.na(td$estimate[td$suppressed])), label = nm)
    expect_true(all(is.na(td$std.error[td$suppressed])), label = nm)
    expect_true(all(is.na(td$conf.low[td$suppressed])), label = nm)
    expect_false(any(c("n", "n_eff") %in% names(td)), label = nm)
  }
})

test_that("the tables satisfy modelsummary's column contract", {
  obj <- tidy_objects()
  # modelsummary needs tidy() with `term` and `estimate` (and std.error for
  # standard errors) and glance() with one row; `nobs` gives its N row
  for (nm in c("m", "gee", "cmp")) {
    td <- tidy(obj[[nm]])
    expect_false(anyNA(td$term))
    expect_true(is.numeric(td$estimate) && is.numeric(td$std.error))
  }
  for (nm in c("m", "gee", "cmp")) {
    expect_identical(anyDuplicated(tidy(obj[[nm]])$term), 0L)
    gl <- glance(obj[[nm]])
    expect_identical(nrow(gl), 1L)
  }
  expect_true("nobs" %in% names(glance(obj$gee)))
})

test_that("modelsummary takes GEE fits, estimate tables and comparisons", {
  skip_if_not_installed("modelsummary")
  obj <- tidy_objects()
  # (insight, under modelsummary, says "Objects of class `NULL` are
  # currently not supported" while it looks for optional parts)
  noise <- utils::capture.output(ms <- suppressMessages(
    modelsummary::modelsummary(
      list(GEE = obj$gee, Means = obj$m, Contrasts = obj$cmp),
      output = "data.frame", statistic = "std.error"
    )
  ))
  est <- ms[ms$part == "estimates" & ms$statistic == "estimate", ]
  # every coefficient and every estimate has its row, with its value
  td <- tidy(obj$gee)
  expect_setequal(intersect(est$term, td$term), td$term)
  k <- match(td$term, est$term)
  expect_equal(as.numeric(est$GEE[k]), td$estimate, tolerance = 1e-3)
  tm <- tidy(obj$m)
  k <- match(tm$term, est$term)
  expect_false(anyNA(k))
  expect_equal(as.numeric(est$Means[k]), tm$estimate, tolerance = 1e-3)
  expect_false(anyNA(match(tidy(obj$cmp)$term, est$term)))
  # the GEE's number of observations from glance()
  gof <- ms[ms$part == "gof", ]
  expect_equal(as.numeric(gof$GEE[gof$term == "Num.Obs."]),
               glance(obj$gee)$nobs)
})
