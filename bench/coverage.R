# Coverage of the sandwich intervals, by simulation.
#
# A known missing-at-random panel (the same mechanism as the tests'
# sim_panel()): 1,500 people answer at T1; answering at T2 depends on group,
# age and the T1 outcome; answering at T3 on the T2 outcome. Weights come
# from correctly specified sequential logistic models with history. Over
# 1,000 replications (fixed seed) we count how often the 95% intervals
# cover the true wave means, the true mean change T1 -> T3 and the true
# difference between groups b and a at T3, for sandwich and naive standard
# errors.
#
# Run: Rscript bench/coverage.R [replications] [seed]   (installed package)
suppressPackageStartupMessages(library(panelattrition))

args <- commandArgs(trailingOnly = TRUE)
reps <- if (length(args)) as.integer(args[1]) else 1000L
n <- 1500L

# truths: E[age] = 41.5 for age = round(U(18, 65)); E[1(g == b)] = 1/3
mu1 <- 50 + 5 / 3 + 0.1 * 41.5
truth <- c(T1 = mu1, T2 = mu1 + 2, T3 = mu1 + 3)
true_change <- 3
true_diff <- 5

simulate <- function(n) {
  g <- factor(sample(c("a", "b", "c"), n, replace = TRUE))
  age <- round(stats::runif(n, 18, 65))
  y1 <- stats::rnorm(n, 50 + 5 * (g == "b") + 0.1 * age, 10)
  y2 <- y1 + stats::rnorm(n, 2, 5)
  y3 <- y2 + stats::rnorm(n, 1, 5)
  r2 <- stats::runif(n) <
    stats::plogis(0.3 - 0.02 * (age - 40) + 0.6 * (g == "c") + 0.04 * (y1 - 55))
  r3 <- r2 & stats::runif(n) < stats::plogis(0.4 + 0.05 * (y2 - 57))
  ids <- sprintf("id%05d", seq_len(n))
  rbind(
    data.frame(id = ids, wave = "T1", g = g, age = age, y = y1),
    data.frame(id = ids, wave = "T2", g = g, age = age, y = y2)[r2, ],
    data.frame(id = ids, wave = "T3", g = g, age = age, y = y3)[r3, ]
  )
}

covers <- function(est, truth) est$conf_low <= truth & truth <= est$conf_high

set.seed(if (length(args) > 1) as.integer(args[2]) else 20261126)
hits <- matrix(NA, reps, 10, dimnames = list(NULL, c(
  "sandwich T1", "sandwich T2", "sandwich T3", "sandwich change",
  "sandwich b - a at T3", "naive T1", "naive T2", "naive T3",
  "naive change", "naive b - a at T3")))
started <- Sys.time()
for (r in seq_len(reps)) {
  long <- simulate(n)
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  k <- 0
  for (se in c("sandwich", "naive")) {
    m <- wave_means(w, "y", se = se)
    ch <- panel_change(w, "y", from = "T1", to = "T3", se = se)
    grp <- wave_means(w, "y", by = "g", se = se)
    cmp <- compare_groups(grp, ref = "a")
    d <- cmp[cmp$wave == "T3" & cmp$group == "b", ]
    hits[r, k + 1:5] <- c(covers(m, truth), covers(ch, true_change),
                          covers(d, true_diff))
    k <- 5
  }
}
elapsed <- as.numeric(difftime(Sys.time(), started, units = "secs"))
rate <- colMeans(hits)
mc_se <- sqrt(rate * (1 - rate) / reps)
out <- data.frame(target = names(rate), coverage = round(100 * rate, 1),
                  mc_se = round(100 * mc_se, 2),
                  within_93.5_96.5 = rate >= 0.935 & rate <= 0.965)
cat(sprintf("Coverage of 95%% intervals, %d replications of n = %d (%.0f s)\n",
            reps, n, elapsed))
print(out, row.names = FALSE)
