# One rule for `control`, one name for the confidence level, `w` for the
# weights everywhere, and `to` defaulting to the last wave (issue 15).

s <- sim_panel(n = 300, seed = 21)
s$long$hi <- as.integer(s$long$y > 55)
panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
w <- attrition_weights(panel, ~ g + age)

test_that("every `control` follows one rule, naming what is wrong", {
  bad <- list(list(maxit = 2.5), list(maxit = 0), list(epsilon = 0),
              list(maxit = NA), list(epsilon = Inf))
  args <- c("control$maxit", "control$maxit", "control$epsilon",
            "control$maxit", "control$epsilon")
  calls <- list(
    function(ctl) attrition_weights(panel, ~ g + age, control = ctl),
    function(ctl) attrition_weights(panel, ~ g + age, method = "calibrate",
                                    control = ctl),
    function(ctl) ipw_gee(y ~ wave, w, control = ctl),
    function(ctl) tilt_sensitivity(w, "y", alpha = 0, control = ctl)
  )
  for (f in calls) {
    for (k in seq_along(bad)) {
      cnd <- expect_error(f(bad[[k]]), class = "panelattrition_arg_error")
      expect_identical(cnd$argument, args[k])
    }
    cnd <- expect_error(f(list(maxit = 10, iterations = 3)),
                        "`iterations` is not one",
                        class = "panelattrition_arg_error")
    expect_identical(cnd$argument, "control")
    expect_identical(cnd$unknown, "iterations")
    expect_error(f(list(10)), "unnamed", class = "panelattrition_arg_error")
  }
  # a whole number is accepted as the same fit
  expect_identical(
    attrition_weights(panel, ~ g + age, control = list(maxit = 100L))$weights,
    w$weights)
})

test_that("`conf_level` everywhere; `level` still works with a deprecation", {
  est <- wave_means(w, "y", by = "g")
  new <- tipping_point(est, delta = c(-1, 1), null = 50, conf_level = 0.9)
  expect_warning(old <- tipping_point(est, delta = c(-1, 1), null = 50,
                                      level = 0.9),
                 "deprecated", class = "panelattrition_deprecated")
  expect_identical(old, new)
  new <- tilt_sensitivity(w, "y", alpha = c(0, 0.05), conf_level = 0.8)
  expect_warning(old <- tilt_sensitivity(w, "y", alpha = c(0, 0.05),
                                         level = 0.8),
                 class = "panelattrition_deprecated")
  expect_identical(old, new)
  expect_identical(attr(new, "conf_level"), 0.8)
  new <- attrition_bounds(w, "hi", conf_level = 0.9)
  expect_warning(old <- attrition_bounds(w, "hi", level = 0.9),
                 class = "panelattrition_deprecated")
  expect_identical(old, new)
  # a bad old-style value is named as the user typed it
  cnd <- expect_error(suppressWarnings(attrition_bounds(w, "hi", level = 0.2)),
                      class = "panelattrition_arg_error")
  expect_identical(cnd$argument, "level")
})

test_that("ipw_gee() takes the weights as `w`; `weights =` is deprecated", {
  fit <- ipw_gee(y ~ wave, w = w)
  expect_identical(coef(fit), coef(ipw_gee(y ~ wave, w)))
  expect_warning(old <- ipw_gee(y ~ wave, weights = w),
                 class = "panelattrition_deprecated")
  expect_identical(coef(old), coef(fit))
  cnd <- expect_error(suppressWarnings(ipw_gee(y ~ wave, weights = 1)),
                      class = "panelattrition_arg_error")
  expect_identical(cnd$argument, "weights")
})

test_that("transitions() and panel_change() default `to` to the last wave", {
  s$long$emp <- factor(ifelse(s$long$y > 55, "high", "low"))
  p2 <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w2 <- attrition_weights(p2, ~ g + age)
  expect_identical(as.data.frame(transitions(w2, "emp")),
                   as.data.frame(transitions(w2, "emp", from = "T1",
                                             to = "T3")))
  expect_identical(as.data.frame(panel_change(w2, "y")),
                   as.data.frame(panel_change(w2, "y", from = "T1",
                                              to = "T3")))
})
