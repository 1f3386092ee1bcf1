"""Usage analytics for lab managers: a date range's figures as tables, charts and CSV."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from calendarEditor.services import analytics, analytics_export
from calendarEditor.views.staff_access import staff_required

DEFAULT_WEEKS = 4


def max_days() -> int:
    return int(getattr(settings, "ANALYTICS_MAX_DAYS", 366))


class RangeForm(forms.Form):
    first_day = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(
        label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )
    table = forms.ChoiceField(
        choices=[(name, name) for name in analytics_export.TABLES], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "The range must end on or after its first day.")
        elif first and last and (last - first).days + 1 > max_days():
            self.add_error("last_day", f"At most {max_days()} days at a time.")
        return data


def default_range(today: date) -> dict[str, date]:
    """The current ISO week and the three before it."""
    monday = today - timedelta(days=today.weekday())
    return {"first_day": monday - timedelta(weeks=DEFAULT_WEEKS - 1), "last_day": today}


@staff_required
@require_safe
def analytics_page(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return render(request, "staff/analytics.html", {"form": form}, status=400)
    report = analytics.usage_report(form.cleaned_data["first_day"], form.cleaned_data["last_day"])
    context = {
        "form": form,
        "report": report,
        "charts": analytics_export.chart_data(report),
        "range_query": _range_query(form),
    }
    return render(request, "staff/analytics.html", context)


@staff_required
@require_safe
def analytics_csv(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    first, last = form.cleaned_data["first_day"], form.cleaned_data["last_day"]
    table = form.cleaned_data["table"] or "weeks"
    body = analytics_export.csv_text(analytics.usage_report(first, last), table)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    filename = f"usage-{table}-{first.isoformat()}-{last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _form(request: HttpRequest) -> RangeForm:
    if "first_day" in request.GET or "last_day" in request.GET:
        return RangeForm(request.GET)
    return RangeForm(default_range(timezone.localdate()))


def _range_query(form: RangeForm) -> str:
    data = form.cleaned_data
    return f"first_day={data['first_day'].isoformat()}&last_day={data['last_day'].isoformat()}"
