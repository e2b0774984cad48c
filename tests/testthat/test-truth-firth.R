# Known truth for Firth weights under quasi-complete separation, and for a
# stage at which everyone at risk answers (issue 12, defects 4 and 5).
#
# One fixed-seed panel of 20,000 people. A small group (z = 1, 2%) all
# answer at T2, so the T2 response model is quasi-completely separated in
# z; everyone else answers at random given x (MAR). Nobody who answered T2
# drops out at T3. The outcomes depend on x and z, so the respondents'
# plain means are far from the truth, which is the mean over all 20,000
# people of the simulated outcome.

firth_truth_panel <- function(n = 20000, seed = 20261201) {
  set.seed(seed)
  x <- stats::rnorm(n)
  z <- stats::rbinom(n, 1, 0.02)
  y1 <- 1 + x + stats::rnorm(n)
  y2 <- 1.5 + x + 3 * z + 0.5 * x * z + stats::rnorm(n)
  y3 <- y2 + 0.5 + stats::rnorm(n)
  r2 <- z == 1 | stats::runif(n) < stats::plogis(0.2 + 1.2 * x)
  ids <- sprintf("p%05d", seq_len(n))
  long <- rbind(
    data.frame(id = ids, wave = "T1", x = x, z = z, y = y1),
    data.frame(id = ids, wave = "T2", x = x, z = z, y = y2)[r2, ],
    data.frame(id = ids, wave = "T3", x = x, z = z, y = y3)[r2, ]
  )
  list(
    panel = panel_data(long, id = "id", wave = "wave", baseline = c("x", "z")),
    truth = c(T1 = mean(y1), T2 = mean(y2), T3 = mean(y3)),
    data = data.frame(r = as.numeric(r2), x = x, z = z)
  )
}

test_that("Firth weights under quasi-separation land within 4 SE of the truth, and a stage where everyone answers carries them over", {
  s <- firth_truth_panel()
  expect_no_warning(w <- attrition_weights(s$panel, ~ x + z, method = "firth"))
  rm <- response_models(w)
  expect_true(all(rm$converged[rm$stage == 1]))
  # nobody dropped out after T2: probability 1, the weights carry over
  # exactly (the old code fitted a Firth model to all-ones responses)
  expect_identical(w$weights[, "T3"], w$weights[, "T2"])
  expect_match(rm$note[rm$stage == 2], "everyone at risk answered")

  est <- as.data.frame(wave_means(w, "y"))
  err <- (est$estimate - s$truth[est$wave]) / est$std_error
  expect_true(all(abs(err) < 4), label = paste(format(err), collapse = " "))
  # the design has power: the respondents' plain T2 mean is far off
  cc <- mean(s$panel$data$y[s$panel$data$wave == "T2"])
  expect_gt(abs(cc - s$truth[["T2"]]) / est$std_error[2], 20)

  # the separated stage is brglm2's maximum of the penalised likelihood
  skip_if_not_installed("brglm2")
  fit0 <- suppressWarnings(stats::glm(
    r ~ x + z, family = stats::binomial(), data = s$data,
    method = brglm2::brglmFit, type = "MPL_Jeffreys"
  ))
  # to full precision from there (brglm2 started from the diverging
  # maximum likelihood fit with a tight epsilon does not come back)
  fit <- suppressWarnings(stats::glm(
    r ~ x + z, family = stats::binomial(), data = s$data,
    method = brglm2::brglmFit, type = "MPL_Jeffreys", start = stats::coef(fit0),
    epsilon = 1e-12, maxit = 500
  ))
  expect_equal(w$stages[[1]]$fit$coefficients, stats::coef(fit),
               tolerance = 1e-6)
})
