// Posts a form marked data-autosubmit as soon as the page loads (payment redirects).
// Without JavaScript the form's own button does the same.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
  form.submit();
});
