"""Forms of the media pages and the education editor. What a file is gets decided by the service (content)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.validators import validate_single_line
from exercise_media.models import EDUCATION_TEXT_MAX_LENGTH

ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif,video/mp4,video/quicktime,video/webm"


class MediaUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Picture or video"),
        help_text=_("JPEG, PNG, WebP or HEIC pictures; MP4, MOV or WebM videos."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        error_messages={"required": _("Choose a picture or a video to upload.")},
    )
    description = forms.CharField(
        label=_("What it shows"), max_length=200, validators=[validate_single_line],
        help_text=_("Read out by screen readers, e.g. “Side view of the first steps, hand on the rail”."),
    )

    def __init__(self, *args, exercises=None, **kwargs):
        super().__init__(*args, **kwargs)
        if exercises is not None:
            self.fields["exercise"] = forms.ModelChoiceField(
                label=_("For which exercise"), queryset=exercises, empty_label=None,
                error_messages={"invalid_choice": _("Choose one of the exercises of the current plan.")})
            self.order_fields(["exercise", "file", "description"])


class EducationTextForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120, validators=[validate_single_line])
    body = forms.CharField(label=_("Text"), max_length=EDUCATION_TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 10}),
                           help_text=_("One point per line: each line is shown as its own item."))
