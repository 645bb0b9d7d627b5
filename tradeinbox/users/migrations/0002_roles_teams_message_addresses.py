"""Roles and teams (users.Membership replaces customers.SalesRole, whose rows are
copied), and the message-address index that decides message visibility (filled here
for mail stored before it existed)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_sales_roles(apps, schema_editor):
    SalesRole = apps.get_model("customers", "SalesRole")
    Membership = apps.get_model("users", "Membership")
    for row in SalesRole.objects.all():
        Membership.objects.get_or_create(user_id=row.user_id, defaults={"role": row.role})


def index_stored_messages(apps, schema_editor):
    from tradeinbox.users.visibility import addresses_of

    Message = apps.get_model("store", "Message")
    MessageAddress = apps.get_model("users", "MessageAddress")
    batch = []
    for pk, sender, recipients in Message.objects.values_list(
        "pk", "from_email", "recipients"
    ).iterator(chunk_size=5000):
        batch += [MessageAddress(message_id=pk, address=a) for a in addresses_of(sender, recipients)]
        if len(batch) >= 5000:
            MessageAddress.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    MessageAddress.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('store', '0004_messageraw'),
        ('customers', '0001_initial'),
        ('users', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Team',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Membership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('admin', 'Admin'), ('manager', 'Manager'), ('salesperson', 'Salesperson')], default='salesperson', max_length=16)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='membership', to=settings.AUTH_USER_MODEL)),
                ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='members', to='users.team')),
            ],
        ),
        migrations.CreateModel(
            name='MessageAddress',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('address', models.CharField(max_length=320)),
                ('message', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='party_addresses', to='store.message')),
            ],
            options={
                'indexes': [models.Index(fields=['address'], name='message_address_by_address')],
                'constraints': [models.UniqueConstraint(fields=('message', 'address'), name='message_address_once')],
            },
        ),
        migrations.RunPython(copy_sales_roles, migrations.RunPython.noop),
        migrations.RunPython(index_stored_messages, migrations.RunPython.noop),
    ]
