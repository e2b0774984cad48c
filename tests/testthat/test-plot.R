# Every plot method draws, takes titles, labels and limits, validates
# `type`, and marks suppressed cells; autoplot() returns ggplot objects.

plot_objects <- function() {
  s <- sim_panel(600, seed = 3)
  d <- s$long
  d$status <- factor(ifelse(d$y > 55, "high", ifelse(d$y > 48, "mid", "low")))
  d$tiny <- d$g
  panel <- panel_data(d, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  m <- suppressMessages(wave_means(w, "y", by = "g"))
  list(
    panel = panel, w = w, m = m,
    cat = suppressMessages(wave_means(w, "status", by = "g")),
    change = suppressMessages(panel_change(w, "y", by = "g")),
    cmp = compare_groups(m),
    tr = suppressMessages(transitions(w, "status", from = "T1", to = "T2",
                                      by = "g")),
    gee = ipw_gee(y ~ wave + g, w),
    tip = tipping_point(suppressMessages(panel_change(w, "y", by = "g")),
                        delta = c(-2, 0, 2)),
    tilt = suppressMessages(tilt_sensitivity(w, "y", alpha = c(-0.1, 0, 0.1),
                                             wave = "T2")),
    bounds = suppressMessages(attrition_bounds(w, "status", category = "high",
                                               by = "g")),
    flow = response_flow(panel, by = "g"),
    reps = replicate_weights(w, boot_control(B = 5, seed = 1))
  )
}

with_null_device <- function(expr) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  force(expr)
}

test_that("every plot takes main, xlab, ylab, xlim and ylim, and each type", {
  obj <- plot_objects()
  types <- list(m = c("trajectory", "points"), cat = c("trajectory", "points"),
                change = c("points", "trajectory"), cmp = "forest",
                tr = "bars", gee = "coefficients",
                w = c("weights", "balance", "flow"), tip = "curve",
                tilt = "curve", bounds = "ranges", flow = "flow",
                panel = "flow", reps = "ess")
  for (nm in names(types)) {
    for (ty in types[[nm]]) {
      with_null_device({
        expect_identical(
          plot(obj[[nm]], type = ty, main = "A title", xlab = "x label",
               ylab = "y label", xlim = c(0.5, 3), ylim = c(0.5, 2)),
          obj[[nm]], label = paste(nm, ty))
        expect_silent(plot(obj[[nm]], type = ty))
      })
    }
    with_null_device(
      expect_error(plot(obj[[nm]], type = "nonsense"),
                   class = "panelattrition_arg_error")
    )
  }
})

test_that("the title a user gives is the one drawn", {
  obj <- plot_objects()
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f)
  rec <- NULL
  grDevices::dev.control("enable")
  plot(obj$m, main = "Wellbeing by programme", ylab = "score")
  rec <- grDevices::recordPlot()
  grDevices::dev.off()
  calls <- unlist(lapply(rec[[1]], function(x) {
    vapply(x[[2]], function(a) paste(format(a), collapse = " "), character(1))
  }))
  expect_true(any(grepl("Wellbeing by programme", calls, fixed = TRUE)))
  expect_true(any(grepl("score", calls, fixed = TRUE)))
})

test_that("suppressed cells are marked in trajectories, bars and flows", {
  obj <- plot_objects()
  expect_true(any(obj$cat$suppressed) || any(obj$tr$suppressed))
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f)
  grDevices::dev.control("enable")
  plot(obj$tr)
  rec <- grDevices::recordPlot()
  grDevices::dev.off()
  text <- unlist(lapply(rec[[1]], function(x) {
    vapply(x[[2]], function(a) paste(format(a), collapse = " "), character(1))
  }))
  if (any(obj$tr$suppressed)) {
    expect_true(any(grepl("suppressed", text)))
  }
  # a flow with a group of three people: suppressed, with a partner
  d <- obj$panel$data
  s <- sim_panel(200, seed = 5)$long
  s$g <- as.character(s$g)
  small <- unique(s$id)[1:3]
  s$g[s$id %in% small] <- "z"
  p <- panel_data(s, id = "id", wave = "wave", baseline = "g")
  fl <- response_flow(p, by = "g")
  expect_true(all(fl$suppressed[fl$group == "z"]))
  expect_true(all(is.na(fl$answered[fl$group == "z"])))
  # the total minus the other groups must not give the small group
  for (wv in unique(fl$wave)) {
    shown <- fl[fl$wave == wv & fl$group != "everyone" & !fl$suppressed, ]
    expect_lt(nrow(shown), length(unique(fl$group)) - 1L)
  }
  with_null_device(expect_silent(plot(fl)))
})

test_that("the love plot shows every level of each factor on one scale", {
  obj <- plot_objects()
  b <- balance_levels(obj$w)
  expect_setequal(unique(b$variable), c("g: a", "g: b", "g: c", "age"))
  # the reference level's difference is minus the sum of the others',
  # weighted by their shares: check against a hand computation at T2
  base <- obj$w$covariates[obj$w$baseline_rows, ]
  r <- obj$w$panel$response[obj$w$baseline_rows, 2]
  sd0 <- sqrt(mean(base$g == "a") * (1 - mean(base$g == "a")))
  smd <- (mean(base$g[r] == "a") - mean(base$g == "a")) / sd0
  expect_equal(b$smd_unweighted[b$wave == "T2" & b$variable == "g: a"], smd)
})

test_that("autoplot() returns ggplot objects for every class", {
  skip_if_not_installed("ggplot2")
  obj <- plot_objects()
  for (nm in c("m", "cat", "change", "tr", "cmp", "gee", "w", "tip", "tilt",
               "bounds", "flow", "panel")) {
    p <- ggplot2::autoplot(obj[[nm]])
    expect_s3_class(p, "ggplot")
    with_null_device(expect_silent(print(p)))
  }
  expect_s3_class(ggplot2::autoplot(obj$w, type = "balance"), "ggplot")
})
