# Calibration with F(u) = 1 + exp(u) (calfun = "kott", Kott 2006): the
# calibration equations are the estimating equations of a logistic response
# model, so the weights are consistent when response is logit-linear in the
# calibration variables, whatever the outcome. Raking is consistent only
# when response is log-linear in them (or the outcome linear), so with a
# nonlinear outcome it is biased here.

# Three waves, monotone dropout logit-linear in (x1, x2, previous y), an
# outcome nonlinear in x. E[y3] = E[y1] + 0.5 E[exp(x1)] + E[x2^2]
# = 1.5 exp(1/2) + 2.
kott_sim <- function(n, seed) {
  set.seed(seed)
  x1 <- stats::rnorm(n)
  x2 <- stats::rnorm(n)
  y1 <- exp(x1) + x2^2 + stats::rnorm(n)
  y2 <- y1 + 0.5 * exp(x1) + stats::rnorm(n)
  y3 <- y2 + x2^2 + stats::rnorm(n)
  r2 <- stats::runif(n) < stats::plogis(2.5 + 1.5 * x1 - 1.2 * x2 - 0.6 * y1)
  r3 <- r2 & stats::runif(n) <
    stats::plogis(2 + 1.2 * x1 + 1.2 * x2 - 0.5 * y2)
  ids <- sprintf("p%05d", seq_len(n))
  long <- rbind(
    data.frame(id = ids, wave = "T1", x1 = x1, x2 = x2, y = y1),
    data.frame(id = ids, wave = "T2", x1 = x1, x2 = x2, y = y2)[r2, ],
    data.frame(id = ids, wave = "T3", x1 = x1, x2 = x2, y = y3)[r3, ]
  )
  list(long = long,
       truth = data.frame(id = ids, x1, x2, y1, y2, y3, r2, r3),
       mean_y3 = 1.5 * exp(0.5) + 2)
}

# The oracle for one stage, written independently of the C kernel: the
# logistic response model whose estimating equations
# sum_{at risk} s_i x_i (R_i / p_i - 1) = totals - sum_{at risk} s_i x_i
# (zero for the at-risk totals) are the kott calibration equations, solved
# by Newton's method from glm()'s maximum-likelihood fit. Returns the
# coefficients beta = -lambda and the respondents' weights s / p.
kott_oracle <- function(x, s, r, totals = colSums(x * s)) {
  fit <- suppressWarnings(stats::glm.fit(x, as.numeric(r), weights = s,
                                         family = stats::binomial()))
  beta <- fit$coefficients
  xr <- x[r, , drop = FALSE]
  sr <- s[r]
  for (it in 1:100) {
    odds_inv <- exp(-drop(xr %*% beta))     # 1 / p - 1
    f <- colSums(xr * (sr * (1 + odds_inv))) - totals
    if (max(abs(f) / pmax(1, abs(totals))) < 1e-13) break
    jac <- -crossprod(xr, xr * (sr * odds_inv))
    beta <- beta - solve(jac, f)
  }
  w <- sr * (1 + exp(-drop(xr %*% beta)))
  list(beta = unname(beta), weights = unname(w))
}

test_that("kott calibration with history is right against known truth, raking is not", {
  sim <- kott_sim(30000, 1)
  panel <- panel_data(sim$long, id = "id", wave = "wave",
                      baseline = c("x1", "x2"))
  w_kott <- attrition_weights(panel, ~ x1 + x2, method = "calibrate",
                              calfun = "kott", history = "y")
  w_rake <- attrition_weights(panel, ~ x1 + x2, method = "calibrate",
                              calfun = "raking", history = "y")
  k <- wave_means(w_kott, "y")
  r <- wave_means(w_rake, "y")
  truth <- sim$mean_y3
  k3 <- k[k$wave == "T3", ]
  r3 <- r[r$wave == "T3", ]
  expect_lt(abs(k3$estimate - truth), 4 * k3$std_error)
  expect_gt(abs(r3$estimate - truth), 4 * r3$std_error)
  # T2 too, against the full data's own mean
  k2 <- k[k$wave == "T2", ]
  expect_lt(abs(k2$estimate - mean(sim$truth$y2)), 4 * k2$std_error)
})

test_that("kott weights are d / p of the logistic model their equations solve", {
  sim <- kott_sim(1500, 3)
  tr <- sim$truth
  panel <- panel_data(sim$long, id = "id", wave = "wave",
                      baseline = c("x1", "x2"))
  w <- attrition_weights(panel, ~ x1 + x2, method = "calibrate",
                         calfun = "kott", history = "y", stabilize = FALSE)
  x2 <- cbind(1, tr$x1, tr$x2, tr$y1)
  o2 <- kott_oracle(x2, rep(1, nrow(tr)), tr$r2)
  at3 <- which(tr$r2)
  x3 <- cbind(1, tr$x1, tr$x2, tr$y2)[at3, ]
  o3 <- kott_oracle(x3, o2$weights, tr$r3[at3])
  expect_equal(unname(w$weights[tr$r2, "T2"]), o2$weights, tolerance = 1e-8)
  expect_equal(unname(w$weights[tr$r3, "T3"]), o3$weights, tolerance = 1e-8)
  rm <- response_models(w)
  expect_equal(rm$estimate, -c(o2$beta, o3$beta), tolerance = 1e-8,
               ignore_attr = TRUE)
  # the weights reproduce the at-risk totals, as a calibration does
  expect_equal(colSums(x3[tr$r3[at3], ] * o3$weights),
               colSums(x3 * o2$weights), tolerance = 1e-10)
  # stabilising multiplies by the response rate; trimming is
  # trim_weights() on the stabilised weights
  ws <- attrition_weights(panel, ~ x1 + x2, method = "calibrate",
                          calfun = "kott", history = "y")
  expect_equal(ws$weights[, "T3"], w$weights[, "T3"] * mean(tr$r3),
               tolerance = 1e-12)
  wt <- attrition_weights(panel, ~ x1 + x2, method = "calibrate",
                          calfun = "kott", history = "y", trim = 0.95)
  expect_equal(wt$weights, panelattrition:::trim_weights(
    ws$weights, panel$response, 0.95, NULL)$weights, tolerance = 1e-12)

  # monotone = FALSE: one model per wave among the baseline sample, with
  # base weights
  panel$baseline$bw <- 1 + (seq_len(nrow(tr)) %% 3)
  wi <- attrition_weights(panel, ~ x1 + x2, method = "calibrate",
                          calfun = "kott", monotone = FALSE, base = "bw",
                          stabilize = FALSE)
  xb <- cbind(1, tr$x1, tr$x2)
  for (t in 2:3) {
    rt <- if (t == 2) tr$r2 else tr$r3
    o <- kott_oracle(xb, panel$baseline$bw, rt)
    expect_equal(unname(wi$weights[rt, t]), o$weights, tolerance = 1e-8)
  }
})

test_that("kott calibration at stage 0, to the frame and to margins", {
  s <- sim_panel(n = 500, frame_extra = 300, seed = 4)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave", frame = s$frame,
                      baseline = c("g", "age"))
  x <- stats::model.matrix(~ g + age, s$frame)
  w <- attrition_weights(panel, ~ g + age, method = "calibrate",
                         calfun = "kott", stabilize = FALSE)
  o1 <- kott_oracle(x, rep(1, nrow(x)), tr$r1)
  expect_equal(unname(w$weights[tr$r1, "T1"]), o1$weights, tolerance = 1e-8)
  at2 <- which(tr$r1)
  o2 <- kott_oracle(x[at2, ], o1$weights, tr$r2[at2])
  expect_equal(unname(w$weights[tr$r2, "T2"]), o2$weights, tolerance = 1e-8)

  margins <- colSums(x) * 1.2
  wm <- attrition_weights(panel, ~ g + age, margins = margins,
                          calfun = "kott", stabilize = FALSE)
  om <- kott_oracle(x, rep(1, nrow(x)), tr$r1, totals = margins)
  expect_equal(unname(wm$weights[tr$r1, "T1"]), om$weights, tolerance = 1e-8)
  expect_equal(colSums(x[tr$r1, ] * wm$weights[tr$r1, "T1"]), margins,
               tolerance = 1e-10)
})

test_that("the kott sandwich equals a numerically differentiated stacked sandwich", {
  sim <- kott_sim(1200, 5)
  tr <- sim$truth
  panel <- panel_data(sim$long, id = "id", wave = "wave",
                      baseline = c("x1", "x2"))
  w <- attrition_weights(panel, ~ x1 + x2, method = "calibrate",
                         calfun = "kott", history = "y", stabilize = FALSE)
  est <- wave_means(w, "y")
  x1 <- cbind(1, tr$x1, tr$x2, tr$y1)
  x2 <- cbind(1, tr$x1, tr$x2, tr$y2)
  p <- ncol(x1)
  theta <- c(response_models(w)$estimate, est$estimate)
  psi <- function(th) {
    g2 <- 1 + exp(drop(x1 %*% th[1:p]))
    g3 <- 1 + exp(drop(x2 %*% th[p + 1:p]))
    mu <- th[2 * p + 1:3]
    w2 <- ifelse(tr$r2, g2, 0)
    w3 <- ifelse(tr$r3, g2 * g3, 0)
    cbind(x1 * (w2 - 1),                       # everyone answered T1
          x2 * (ifelse(tr$r3, g2 * g3, 0) - w2) * tr$r2,
          tr$y1 - mu[1], w2 * (tr$y2 - mu[2]), w3 * (tr$y3 - mu[3]))
  }
  v <- numeric_sandwich(psi, theta)
  k <- 2 * p + 1:3
  expect_equal(unname(vcov(est)), unname(v[k, k]), tolerance = 1e-6)
  # the estimated weights matter: the naive variance differs
  nv <- wave_means(w, "y", se = "naive")
  expect_gt(max(abs(nv$std_error - est$std_error) / est$std_error), 0.01)
})

test_that("kott bootstrap replicates re-fit the calibrations on the draws", {
  sim <- kott_sim(1500, 7)
  tr <- sim$truth
  panel <- panel_data(sim$long, id = "id", wave = "wave",
                      baseline = c("x1", "x2"))
  w <- attrition_weights(panel, ~ x1 + x2, method = "calibrate",
                         calfun = "kott", history = "y", stabilize = FALSE)
  x2 <- cbind(1, tr$x1, tr$x2, tr$y1)
  at3 <- which(tr$r2)
  x3 <- cbind(1, tr$x1, tr$x2, tr$y2)[at3, ]
  for (type in c("bayes", "multinomial")) {
    ctrl <- boot_control(B = 4, type = type, seed = 12)
    reps <- replicate_weights(w, ctrl)
    draws <- panelattrition:::boot_draws(nrow(tr), ctrl, 1:4)
    for (b in c(1, 4)) {
      rb <- draws[, b]
      o2 <- kott_oracle(x2, rb, tr$r2)
      o3 <- kott_oracle(x3, o2$weights, tr$r3[at3])
      got <- lapply(reps, function(m) unname(m[, paste0("b", b)]))
      # people drawn zero times carry weight zero
      expect_equal(got$T2, ifelse(rb[tr$r2] > 0, o2$weights, 0),
                   tolerance = 1e-8)
      expect_equal(got$T3, ifelse(rb[tr$r3] > 0, o3$weights, 0),
                   tolerance = 1e-8)
    }
  }
  # trimmed and stabilised: each copy of a person carries the kott weight
  # g (times the replicate's response rate), and trimming acts on the
  # resampled copies
  wt <- attrition_weights(panel, ~ x1 + x2, method = "calibrate",
                          calfun = "kott", history = "y", trim = 0.95)
  ctrl <- boot_control(B = 3, type = "multinomial", seed = 21)
  reps <- replicate_weights(wt, ctrl)
  rb <- panelattrition:::boot_draws(nrow(tr), ctrl, 2)[, 1]
  resp <- panel$response
  o2 <- kott_oracle(x2, rb, tr$r2)
  o3 <- kott_oracle(x3, o2$weights, tr$r3[at3])
  copy <- matrix(0, nrow(tr), 3)
  copy[, 1] <- 1
  copy[tr$r2, 2] <- o2$weights / rb[tr$r2]
  copy[tr$r3, 3] <- o3$weights / rb[tr$r3]
  copy <- sweep(copy, 2, colSums(resp * rb) / sum(rb), "*")
  got <- lapply(reps, function(m) unname(m[, "b2"]))
  for (t in 2:3) {
    who <- which(resp[, t] & rb > 0)
    times <- rb[who]
    expanded <- matrix(rep(copy[who, t], times), ncol = 1,
                       dimnames = list(NULL, "T"))
    trimmed <- panelattrition:::trim_weights(
      expanded, matrix(TRUE, nrow(expanded), 1), 0.95, NULL)$weights[, 1]
    expected <- numeric(sum(resp[, t]))
    expected[match(who, which(resp[, t]))] <-
      times * trimmed[cumsum(times) - times + 1]
    expect_equal(got[[t]], expected, tolerance = 1e-8)
  }

  # se = "bootstrap": the standard deviation of the replicate estimates
  ctrl <- boot_control(B = 200, seed = 3)
  reps <- replicate_weights(w, ctrl)
  bt <- wave_means(w, "y", se = "bootstrap", control = ctrl)
  y3 <- panel$data$y[panel$data$wave == "T3"]
  theta <- colSums(reps$T3 * y3) / colSums(reps$T3)
  expect_equal(bt$std_error[3], stats::sd(theta), tolerance = 1e-8)
  skip_if_not_installed("survey")
  des <- as_svrepdesign(w, "T3", replicates = reps)
  fit <- survey::svymean(~y, des)
  est <- wave_means(w, "y")
  expect_equal(unname(stats::coef(fit)), est$estimate[3], tolerance = 1e-10)
  # bootstrap and sandwich standard errors agree within Monte Carlo error
  ratio <- as.numeric(survey::SE(fit)) / est$std_error[3]
  expect_gt(ratio, 0.75)
  expect_lt(ratio, 1.25)
})

test_that("kott calibration fails with classed errors that name the stage", {
  sim <- kott_sim(600, 9)
  long <- sim$long
  long$cat <- factor(ifelse(long$x1 > 2.2, "rare", "common"))
  # everyone at risk in the rare category answers T3
  ids_rare <- unique(long$id[long$cat == "rare" & long$wave == "T2"])
  add <- long[long$wave == "T2" & long$id %in% ids_rare &
                !long$id %in% long$id[long$wave == "T3"], ]
  add$wave <- "T3"
  long <- rbind(long, add)
  panel <- panel_data(long, id = "id", wave = "wave",
                      baseline = c("x1", "x2", "cat"))
  err <- expect_error(
    attrition_weights(panel, ~ x2 + cat, method = "calibrate",
                      calfun = "kott"),
    class = "panelattrition_calibration_error"
  )
  expect_match(conditionMessage(err), "at stage T3")
  expect_match(conditionMessage(err), "catrare")
  expect_match(conditionMessage(err), "everyone at risk who did not answer|someone at risk who did not answer")
  expect_identical(err$reason, "infeasible")
  expect_false(grepl("`d`", conditionMessage(err)))

  # a stage where everyone at risk answered, with margins that span a
  # constant but take both signs, so that no single margin shows it
  z <- seq(-2, 2, length.out = 100)
  x <- cbind(a = 1 + z, b = 1 - z)
  err <- expect_error(
    panelattrition:::calibrate_weights(x, rep(2, 100), colSums(x) * 2,
                                       calfun = "kott", stage = "T9"),
    class = "panelattrition_calibration_error"
  )
  expect_match(conditionMessage(err), "at stage T9")
  expect_match(conditionMessage(err), "`a` and `b` make them add up to 200")

  # bounds are refused, naming the argument
  expect_error(
    attrition_weights(panel, ~ x2, method = "calibrate", calfun = "kott",
                      bounds = c(0.5, 3)),
    class = "panelattrition_arg_error"
  )
  expect_error(
    panelattrition:::calibrate_weights(x, rep(1, 100), colSums(x) * 2,
                                       calfun = "kott", bounds = c(0.5, 3)),
    "`bounds` cannot be used with `calfun = \"kott\"`"
  )
  expect_error(attrition_weights(panel, ~ x2, method = "calibrate",
                                 calfun = "Kott"),
               "\"kott\"", class = "panelattrition_arg_error")
})
