# `make demo`: from the raw survey exports of three waves to a panel and
# its response pattern, weights, balance and weighted estimates.
library(panelattrition)

files <- c(
  T1 = system.file("extdata", "wave1.csv", package = "panelattrition"),
  T2 = system.file("extdata", "wave2.csv", package = "panelattrition"),
  T3 = system.file("extdata", "wave3.csv", package = "panelattrition")
)

cat("Reading the exports\n")
for (w in names(files)) {
  x <- read_survey(files[[w]])
  cat(sprintf("  %s  %-10s %4d rows, %2d columns, delimiter '%s', decimal '%s', %s\n",
              w, basename(files[[w]]), nrow(x), ncol(x),
              gsub("\t", "\\\\t", attr(x, "delim")), attr(x, "decimal"),
              attr(x, "encoding")))
}

answers <- read_waves(files, id = "id")
cat(sprintf("\n%d answers from %d people in %d waves\n\n", nrow(answers),
            length(unique(answers$id)), nlevels(answers$wave)))

panel <- panel_data(answers, id = "id", wave = "wave",
                    baseline = c("group", "gender", "age"))
print(panel)
cat("\n")
print(response_pattern(panel))
cat("\n")
print(summary(panel))

cat("\nAttrition weights (one response model per wave: five people came back)\n")
w <- attrition_weights(panel, ~ group + gender + age, monotone = FALSE)
print(w)
cat("\nBalance of the respondents against T1, before and after weighting\n")
b <- balance(w)
print(b[b$wave == "T3", c("variable", "smd_unweighted", "smd_weighted")],
      row.names = FALSE, digits = 3)

cat("\nWellbeing by wave: complete cases, attrition-weighted, doubly robust\n")
cc <- wave_means(w, "wellbeing", estimator = "complete_case")
ipw <- wave_means(w, "wellbeing")
dr <- wave_means(w, "wellbeing", estimator = "aipw")
print(data.frame(wave = ipw$wave, complete_case = round(cc$estimate, 2),
                 ipw = round(ipw$estimate, 2), ipw_se = round(ipw$std_error, 2),
                 aipw = round(dr$estimate, 2), aipw_se = round(dr$std_error, 2)),
      row.names = FALSE)

cat("\nChange in wellbeing from T1 to T3, by group, and group differences\n")
ch <- panel_change(w, "wellbeing", from = "T1", to = "T3", by = "group")
print(ch)
print(compare_groups(ch, ref = "integrated"))

cat("\nEmployment transitions T1 -> T3 (share whose status changed)\n")
tr <- transitions(w, "employment", from = "T1", to = "T3", by = "group")
print(attr(tr, "changed"))
