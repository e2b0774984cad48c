test_that("monotone IPW weights equal inverse cumulative glm() probabilities", {
  s <- sim_panel()
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y", stabilize = FALSE)
  tr <- s$truth
  # stage 1: T2 among T1 respondents, on baseline covariates and y at T1
  d1 <- data.frame(r = tr$r2, g = tr$g, age = tr$age, y_prev = tr$y1)
  p2 <- glm_prob(r ~ g + age + y_prev, d1)
  # stage 2: T3 among T2 respondents, with y at T2
  at2 <- tr$r2
  d2 <- data.frame(r = tr$r3, g = tr$g, age = tr$age, y_prev = tr$y2)[at2, ]
  p3 <- glm_prob(r ~ g + age + y_prev, d2)
  w2 <- 1 / p2[tr$r2]
  w3 <- (1 / p2[at2] / p3)[tr$r3[at2]]
  expect_equal(unname(w$weights[tr$r2, "T2"]), unname(w2), tolerance = 1e-8)
  expect_equal(unname(w$weights[tr$r3, "T3"]), unname(w3), tolerance = 1e-8)
  expect_identical(unname(w$weights[, "T1"]), rep(1, nrow(tr)))
  expect_true(all(is.na(w$weights[!tr$r2, "T2"])))

  # response_models() reports the glm() coefficients and standard errors
  fit <- stats::glm(r ~ g + age + y_prev, family = stats::binomial(), data = d2,
                    control = stats::glm.control(epsilon = 1e-14))
  rm <- response_models(w)
  st2 <- rm[rm$stage == 2, ]
  expect_identical(st2$term, names(stats::coef(fit)))
  expect_equal(st2$estimate, unname(stats::coef(fit)), tolerance = 1e-8)
  expect_equal(st2$std_error, unname(summary(fit)$coefficients[, 2]),
               tolerance = 1e-8)
  expect_true(all(rm$converged))
  expect_identical(unique(rm$wave), c("T2", "T3"))
})

test_that("a frame adds stage 0, and stabilising multiplies by the response rate", {
  s <- sim_panel(n = 700, frame_extra = 500, seed = 3)
  panel <- panel_data(s$long, id = "id", wave = "wave", frame = s$frame,
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  tr <- s$truth
  p1 <- glm_prob(r1 ~ g + age, tr)
  at1 <- tr$r1
  p2 <- glm_prob(r2 ~ g + age, tr[at1, ])
  at2 <- tr$r2
  p3 <- glm_prob(r3 ~ g + age, tr[at2, ])
  rate <- c(mean(tr$r1), mean(tr$r2), mean(tr$r3))
  expect_equal(unname(w$weights[tr$r1, "T1"]), unname(rate[1] / p1[tr$r1]),
               tolerance = 1e-8)
  expect_equal(unname(w$weights[tr$r2, "T2"]),
               unname(rate[2] / (p1[at1] * p2)[tr$r2[at1]]), tolerance = 1e-8)
  expect_equal(unname(w$weights[tr$r3, "T3"]),
               unname(rate[3] / (p1[at2] * p2[tr$r2[at1]] * p3)[tr$r3[at2]]),
               tolerance = 1e-8)
  expect_identical(response_models(w)$stage[1], 0L)
})

test_that("monotone = FALSE fits one model per wave among the baseline sample", {
  s <- sim_panel(seed = 5)
  tr <- s$truth
  # a few people come back at T3 after missing T2
  back <- which(!tr$r2)[1:6]
  extra <- data.frame(id = sprintf("id%04d", back), wave = "T3", g = tr$g[back],
                      age = tr$age[back], y = tr$y3[back])
  long <- rbind(s$long, extra)
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  err <- expect_error(attrition_weights(panel, ~ g + age),
                      class = "panelattrition_monotone_error")
  expect_match(conditionMessage(err), "6 people answered a wave after missing")
  expect_match(conditionMessage(err), "monotone = FALSE")

  w <- attrition_weights(panel, ~ g + age, monotone = FALSE, stabilize = FALSE)
  r3 <- tr$r3
  r3[back] <- TRUE
  tr$r3 <- r3
  p3 <- glm_prob(r3 ~ g + age, tr)
  expect_equal(unname(w$weights[r3, "T3"]), unname(1 / p3[r3]),
               tolerance = 1e-8)
  p2 <- glm_prob(r2 ~ g + age, tr)
  expect_equal(unname(w$weights[tr$r2, "T2"]), unname(1 / p2[tr$r2]),
               tolerance = 1e-8)
})

test_that("base weights enter the models as prior weights and the products", {
  s <- sim_panel(n = 500, seed = 8)
  tr <- s$truth
  set.seed(2)
  bw <- round(stats::runif(nrow(tr), 0.5, 3), 3)
  frame <- cbind(s$frame, bw = bw)
  long <- merge(s$long, frame[c("id", "bw")], by = "id", sort = FALSE)
  panel <- panel_data(long, id = "id", wave = "wave",
                      baseline = c("g", "age", "bw"))
  w <- attrition_weights(panel, ~ g + age, base = "bw", stabilize = FALSE)
  p2 <- glm_prob(r2 ~ g + age, tr, weights = bw)
  expect_equal(unname(w$weights[tr$r2, "T2"]), unname(bw / p2)[tr$r2],
               tolerance = 1e-8)
  expect_equal(unname(w$weights[, "T1"]), bw)
})

test_that("calibration reproduces the baseline totals and survey::calibrate()", {
  skip_if_not_installed("survey")
  s <- sim_panel(seed = 21)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  for (cf in c("raking", "linear")) {
    w <- attrition_weights(panel, ~ g + age, method = "calibrate",
                           monotone = FALSE, calfun = cf, stabilize = FALSE)
    x <- stats::model.matrix(~ g + age, tr)
    target <- colSums(x)
    for (wave in c("T2", "T3")) {
      r <- tr[[paste0("r", substr(wave, 2, 2))]]
      expect_equal(colSums(x[r, ] * w$weights[r, wave]), target,
                   tolerance = 1e-9)
      des <- survey::svydesign(ids = ~1, weights = ~one,
                               data = cbind(tr[r, ], one = 1))
      cal <- survey::calibrate(des, ~ g + age, population = target,
                               calfun = cf, epsilon = 1e-12, maxit = 200)
      expect_equal(unname(w$weights[r, wave]), as.vector(stats::weights(cal)),
                   tolerance = 1e-8)
    }
  }
})

test_that("sequential calibration under monotone dropout chains the waves", {
  s <- sim_panel(seed = 22)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, method = "calibrate",
                         history = "y", stabilize = FALSE)
  # T3 respondents reproduce the weighted totals, y at T2 included, of the
  # T2 respondents with their T2 weights
  x2 <- cbind(stats::model.matrix(~ g + age, tr), y_prev = tr$y2)
  target <- colSums(x2[tr$r2, ] * w$weights[tr$r2, "T2"])
  got <- colSums(x2[tr$r3, ] * w$weights[tr$r3, "T3"])
  expect_equal(unname(got), unname(target), tolerance = 1e-9)
})

test_that("trimming caps weights and keeps each wave's total", {
  s <- sim_panel(seed = 31)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w0 <- attrition_weights(panel, ~ g + age, history = "y", stabilize = FALSE)
  w1 <- attrition_weights(panel, ~ g + age, history = "y", stabilize = FALSE,
                          trim = 0.9)
  for (wave in c("T2", "T3")) {
    v0 <- w0$weights[, wave]
    v1 <- w1$weights[, wave]
    limit <- unname(stats::quantile(v0, 0.9, na.rm = TRUE))
    expect_equal(sum(v1, na.rm = TRUE), sum(v0, na.rm = TRUE), tolerance = 1e-12)
    expect_lte(max(v1, na.rm = TRUE), limit * (1 + 1e-9))
    rep_row <- w1$trimming[w1$trimming$wave == wave, ]
    expect_equal(rep_row$threshold, limit)
    expect_gt(rep_row$n_trimmed, 0)
  }
  # by hand: 4 weights, cap at 2 x mean
  out <- panelattrition:::trim_weights(
    matrix(c(1, 1, 1, 9), 4, 1, dimnames = list(NULL, "T1")),
    matrix(TRUE, 4, 1), trim = NULL, cap = 2
  )
  # mean 3, limit 6: excess 3 goes to the three weights of 1 -> 2 each
  expect_equal(out$weights[, 1], c(2, 2, 2, 6))
  expect_equal(out$report$mass_trimmed, 3 / 12)
  # a quantile below the mean cannot keep the total: every weight would be
  # capped, which is an error rather than a silent change of total
  expect_error(
    panelattrition:::trim_weights(
      matrix(c(rep(1, 19), 100), 20, 1, dimnames = list(NULL, "T1")),
      matrix(TRUE, 20, 1), trim = 0.9, cap = NULL
    ),
    class = "panelattrition_weights_error", regexp = "every weight"
  )
})

test_that("diagnostics: ess, balance, weights() by hand", {
  s <- sim_panel(seed = 41)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  e <- ess(w)
  v <- w$weights[tr$r3, "T3"]
  expect_equal(e$ess[e$wave == "T3"], sum(v)^2 / sum(v^2))
  expect_identical(e$n, c(sum(tr$r1), sum(tr$r2), sum(tr$r3)))

  b <- balance(w)
  age_t2 <- b[b$wave == "T2" & b$variable == "age", ]
  sd0 <- sqrt(mean((tr$age - mean(tr$age))^2))
  expect_equal(age_t2$mean_baseline, mean(tr$age))
  expect_equal(age_t2$smd_unweighted, (mean(tr$age[tr$r2]) - mean(tr$age)) / sd0)
  ww <- w$weights[tr$r2, "T2"]
  expect_equal(age_t2$smd_weighted,
               (sum(ww * tr$age[tr$r2]) / sum(ww) - mean(tr$age)) / sd0)
  # weighting brings the T2 respondents close to the baseline sample
  expect_lt(abs(age_t2$smd_weighted), abs(age_t2$smd_unweighted))
  expect_identical(b$threshold, abs(b$smd_weighted) > 0.1)

  wd <- weights(w)
  expect_identical(nrow(wd), nrow(s$long))
  expect_identical(names(wd), c("id", "wave", "weight"))
  expect_equal(wd$weight[wd$wave == "T3"], unname(v))

  sm <- summary(w)
  expect_equal(sm$cv[3], stats::sd(v) / mean(v))
  expect_equal(sm$median[3], stats::median(v))
  expect_output(print(w), "logistic response models")
  expect_output(print(sm), "T3")
})

test_that("weighting removes the bias of complete cases when data are MAR", {
  s <- sim_panel(n = 6000, seed = 2024)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  v <- w$weights[tr$r3, "T3"]
  y <- tr$y3[tr$r3]
  ipw <- sum(v * y) / sum(v)
  # linearised standard error of the ratio mean (weights taken as known)
  se <- sqrt(sum(v^2 * (y - ipw)^2)) / sum(v)
  truth <- mean(tr$y3)
  cc <- mean(y)
  cc_se <- stats::sd(y) / sqrt(length(y))
  expect_lt(abs(ipw - truth), 3 * se)
  expect_gt(abs(cc - truth), 3 * cc_se)
})

test_that("bad input gives classed errors naming the problem", {
  s <- sim_panel(n = 300, seed = 51)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  expect_error(attrition_weights(s$long, ~ g), class = "panelattrition_arg_error")
  expect_error(attrition_weights(panel, "g"), class = "panelattrition_arg_error")
  expect_error(attrition_weights(panel, r ~ g), class = "panelattrition_arg_error",
               regexp = "one-sided")
  expect_error(attrition_weights(panel, ~ nope), class = "panelattrition_arg_error",
               regexp = "nope")
  expect_error(attrition_weights(panel, ~ g, trim = 2),
               class = "panelattrition_arg_error",
               regexp = "`trim` must be a number between 0.5 and 1, not 2")
  expect_error(attrition_weights(panel, ~ g, cap = 0.5),
               class = "panelattrition_arg_error")
  expect_error(attrition_weights(panel, ~ g, method = "probit"),
               class = "panelattrition_arg_error")
  expect_error(attrition_weights(panel, ~ g, method = "calibrate",
                                 calfun = "logit"),
               class = "panelattrition_arg_error", regexp = "bounds")
  expect_error(attrition_weights(panel, ~ g, margins = c(`(Intercept)` = 10)),
               class = "panelattrition_arg_error", regexp = "frame")
  expect_error(attrition_weights(panel, ~ g, history = "y", monotone = FALSE),
               class = "panelattrition_arg_error")

  # missing covariate values: listed with counts, or indicator columns
  long <- s$long
  no_age <- sprintf("id%04d", seq(1, 300, by = 10))
  long$age[long$id %in% no_age] <- NA
  p2 <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  err <- expect_error(attrition_weights(p2, ~ g + age),
                      class = "panelattrition_missing_error")
  expect_match(conditionMessage(err), "`age` \\(30\\)")
  w <- attrition_weights(p2, ~ g + age, na_action = "indicator")
  expect_true("age_missing" %in% response_models(w)$term)

  # a factor with a single level among those at risk
  long1 <- s$long
  long1$g <- "a"
  p3 <- panel_data(long1, id = "id", wave = "wave", baseline = c("g", "age"))
  expect_error(attrition_weights(p3, ~ g + age),
               class = "panelattrition_weights_error", regexp = "single level")

  # a wave nobody answered
  p4 <- panel_data(s$long, id = "id", wave = "wave",
                   waves = c("T1", "T2", "T3", "T4"), baseline = c("g", "age"))
  expect_error(attrition_weights(p4, ~ g + age),
               class = "panelattrition_weights_error", regexp = "T4")
})

test_that("perfectly separated response is a classed error suggesting Firth", {
  s <- sim_panel(n = 300, seed = 61)
  long <- s$long
  # everyone in group "c" drops out after T1
  drop <- long$g == "c" & long$wave != "T1"
  long <- long[!drop, ]
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  err <- expect_error(attrition_weights(panel, ~ g + age),
                      class = "panelattrition_separation_error")
  expect_match(conditionMessage(err), "firth")
  expect_match(conditionMessage(err), "T2")
  w <- attrition_weights(panel, ~ g + age, method = "firth")
  expect_true(all(is.finite(w$weights[!is.na(w$weights)])))
})

test_that("stage 0 calibrates the first wave to population margins as survey does", {
  skip_if_not_installed("survey")
  s <- sim_panel(n = 500, frame_extra = 400, seed = 71)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave", frame = s$frame,
                      baseline = c("g", "age"))
  # population totals a little different from the frame's own
  pop <- colSums(stats::model.matrix(~ g + age, tr)) * c(1.1, 1.05, 0.97, 1.08)
  w <- attrition_weights(panel, ~ g + age, margins = pop, calfun = "raking",
                         stabilize = FALSE)
  r1 <- tr$r1
  des <- survey::svydesign(ids = ~1, weights = ~one,
                           data = cbind(tr[r1, ], one = 1))
  cal <- survey::calibrate(des, ~ g + age, population = pop, calfun = "raking",
                           epsilon = 1e-12, maxit = 200)
  expect_equal(unname(w$weights[r1, "T1"]), as.vector(stats::weights(cal)),
               tolerance = 1e-8)
  x <- stats::model.matrix(~ g + age, tr)
  expect_equal(colSums(x[r1, ] * w$weights[r1, "T1"]), pop, tolerance = 1e-9)
  # later stages multiply on: T2 weights are the T1 weights over the T2 model
  p2 <- glm_prob(r2 ~ g + age, tr[r1, ])
  expect_equal(unname(w$weights[tr$r2, "T2"]),
               unname((w$weights[r1, "T1"] / p2)[tr$r2[r1]]), tolerance = 1e-8)
})

test_that("poly() and interactions work through model.matrix", {
  s <- sim_panel(n = 600, seed = 73)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g * poly(age, 2), monotone = FALSE,
                         stabilize = FALSE)
  p2 <- glm_prob(r2 ~ g * poly(age, 2), tr)
  expect_equal(unname(w$weights[tr$r2, "T2"]), unname(1 / p2[tr$r2]),
               tolerance = 1e-8)
  expect_true(any(grepl("poly", response_models(w)$term)))
})

test_that("Firth weights equal brglm2's bias-reduced fits", {
  skip_if_not_installed("brglm2")
  s <- sim_panel(n = 300, seed = 75)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, method = "firth", monotone = FALSE,
                         stabilize = FALSE)
  fit <- stats::glm(r2 ~ g + age, family = stats::binomial(), data = tr,
                    method = brglm2::brglmFit, type = "MPL_Jeffreys")
  expect_equal(unname(w$weights[tr$r2, "T2"]), unname(1 / stats::fitted(fit))[tr$r2],
               tolerance = 1e-6)
})

# A three-wave panel in which nobody drops out at T2, and its two-wave
# version without T2.
no_dropout_panel <- function(n = 1000, seed = 41, frame = FALSE) {
  set.seed(seed)
  g <- factor(sample(c("a", "b"), n, replace = TRUE))
  x <- stats::rnorm(n)
  y1 <- stats::rnorm(n, x)
  y2 <- y1 + stats::rnorm(n)
  y3 <- y2 + stats::rnorm(n)
  r3 <- stats::runif(n) < stats::plogis(0.5 + 0.8 * x)
  ids <- sprintf("p%04d", seq_len(n))
  long <- rbind(data.frame(id = ids, wave = "T1", g = g, x = x, y = y1),
                data.frame(id = ids, wave = "T2", g = g, x = x, y = y2),
                data.frame(id = ids, wave = "T3", g = g, x = x, y = y3)[r3, ])
  fr <- if (frame) data.frame(id = ids, g = g, x = x)
  list(
    full = panel_data(long, id = "id", wave = "wave", frame = fr,
                      baseline = c("g", "x")),
    without = panel_data(long[long$wave != "T2", ], id = "id", wave = "wave",
                         frame = fr, baseline = c("g", "x"))
  )
}

test_that("a stage where everyone answers has p = 1 and adds nothing to the variance", {
  p <- no_dropout_panel()
  schemes <- list(
    list(method = "logit"),
    list(method = "firth"),
    list(method = "logit", monotone = FALSE),
    list(method = "firth", numerator = ~ g)
  )
  for (args in schemes) {
    label <- deparse(args)
    # no separation error, no convergence warning
    expect_no_warning(w <- do.call(attrition_weights, c(list(p$full, ~ g + x), args)))
    w2 <- do.call(attrition_weights, c(list(p$without, ~ g + x), args))
    expect_identical(w$weights[, "T2"], w$weights[, "T1"], label = label)
    expect_identical(unname(w$weights[, "T3"]), unname(w2$weights[, "T3"]),
                     label = label)
    rm <- response_models(w)
    expect_identical(rm$wave[rm$stage == 1], "T2")
    expect_true(is.na(rm$term[rm$stage == 1]))
    expect_match(rm$note[rm$stage == 1], "everyone at risk answered")
    expect_true(all(is.na(rm$note[rm$stage != 1])))
    expect_output(print(w), "T2: everyone at risk answered")
    expect_output(print(summary(w)), "T2: everyone at risk answered")
    # wave means at T1 and T3: the same as without the wave, estimates and
    # standard errors, by the sandwich, the bootstrap and naively
    # (weights with a numerator on g estimate within the groups of g only)
    by <- if (!is.null(args$numerator)) "g"
    ctrl <- boot_control(B = 20, seed = 7)
    for (se in c("sandwich", "bootstrap", "naive")) {
      bc <- if (se == "bootstrap") ctrl
      a <- as.data.frame(wave_means(w, "y", by = by, se = se, control = bc))
      b <- as.data.frame(wave_means(w2, "y", by = by, se = se, control = bc))
      expect_equal(a[a$wave != "T2", c("estimate", "std_error")],
                   b[, c("estimate", "std_error")], tolerance = 1e-10,
                   ignore_attr = TRUE, label = paste(label, se))
    }
    if (!is.null(by)) next
    # T2 is the plain mean of everyone, whose SE is the usual one
    a <- as.data.frame(wave_means(w, "y"))
    y2 <- p$full$data$y[p$full$data$wave == "T2"]
    n <- length(y2)
    expect_equal(a$estimate[2], mean(y2), tolerance = 1e-12)
    expect_equal(a$std_error[2], stats::sd(y2) * sqrt((n - 1) / n) / sqrt(n - 1),
                 tolerance = 1e-10)
  }
})

test_that("everyone answering the first wave of a frame is stage 0 with p = 1", {
  p <- no_dropout_panel(n = 600, seed = 42, frame = TRUE)
  for (method in c("logit", "firth")) {
    expect_no_warning(w <- attrition_weights(p$full, ~ g + x, method = method))
    expect_identical(unname(w$weights[, "T1"]), rep(1, 600))
    rm <- response_models(w)
    expect_identical(rm$stage[!is.na(rm$note)], c(0L, 1L))
    expect_output(print(w), "T1 \\(among everyone who started\\): everyone")
    # the downstream functions run and agree with the panel without T2
    w2 <- attrition_weights(p$without, ~ g + x, method = method)
    expect_equal(coef(ipw_gee(y ~ wave, w))[c(1, 3)],
                 coef(ipw_gee(y ~ wave, w2)), tolerance = 1e-8,
                 ignore_attr = TRUE)
    expect_equal(as.data.frame(panel_change(w, "y", from = "T1", to = "T3"))$std_error,
                 as.data.frame(panel_change(w2, "y", from = "T1", to = "T3"))$std_error,
                 tolerance = 1e-10)
    expect_equal(as.data.frame(wave_means(w, "y", estimator = "aipw"))[c(1, 3), "std_error"],
                 as.data.frame(wave_means(w2, "y", estimator = "aipw"))$std_error,
                 tolerance = 1e-10)
    expect_identical(ess(w)$ess[1:2], c(600, 600))
    expect_true(all(balance(w)$smd_weighted[balance(w)$wave != "T3"] == 0))
    # nothing is missing at T2, so no tilt moves its mean
    tl <- tilt_sensitivity(w, "y", alpha = c(-1, 0, 1), wave = "T2")
    expect_equal(tl$estimate, rep(tl$estimate[2], 3), tolerance = 1e-12)
    rep_w <- replicate_weights(w, boot_control(B = 5, seed = 3))
    expect_identical(rep_w$T2, rep_w$T1)
  }
})

test_that("a calibration where everyone answered has g = 1 exactly", {
  p <- no_dropout_panel(n = 600, seed = 43)
  for (calfun in c("raking", "linear", "kott")) {
    for (monotone in c(TRUE, FALSE)) {
      w <- attrition_weights(p$full, ~ g + x, method = "calibrate",
                             calfun = calfun, monotone = monotone)
      w2 <- attrition_weights(p$without, ~ g + x, method = "calibrate",
                              calfun = calfun, monotone = monotone)
      expect_identical(w$weights[, "T2"], w$weights[, "T1"])
      # the T2 stage is left out: nothing is estimated there
      expect_identical(vapply(w$stages, `[[`, "", "wave"), "T3")
      expect_identical(w$complete_stages[[1]]$wave, "T2")
      expect_identical(unname(w$weights[, "T3"]), unname(w2$weights[, "T3"]))
      a <- as.data.frame(wave_means(w, "y"))
      b <- as.data.frame(wave_means(w2, "y"))
      expect_equal(a[a$wave != "T2", c("estimate", "std_error")],
                   b[, c("estimate", "std_error")], tolerance = 1e-10,
                   ignore_attr = TRUE)
    }
  }
})
