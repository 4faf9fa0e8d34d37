from django.db import migrations

# The himbauan library as officers give it in the field (Indonesian is the content language).
APPEALS = [
    ("kamtibmas-pemilu", "Menjaga keamanan dan ketertiban selama tahapan pemilu",
     "Mengimbau seluruh warga dan penyelenggara untuk bersama-sama menjaga situasi kamtibmas "
     "yang aman dan kondusif selama seluruh tahapan pemilu."),
    ("partisipasi-warga", "Ikut serta menjaga keamanan lingkungan",
     "Mengajak warga berperan aktif menjaga keamanan dan ketertiban lingkungan masing-masing "
     "serta segera berkoordinasi dengan Bhabinkamtibmas bila ada hal yang mencurigakan."),
    ("tolak-politik-uang", "Tolak politik uang",
     "Mengimbau warga menolak segala bentuk politik uang dan pemberian barang untuk memengaruhi "
     "pilihan, serta melaporkannya kepada Bawaslu atau kepolisian."),
    ("waspada-hoaks", "Waspada hoaks dan ujaran kebencian",
     "Mengimbau warga tidak mudah percaya dan tidak ikut menyebarkan berita bohong, fitnah, "
     "atau ujaran kebencian, serta memeriksa kebenaran informasi sebelum membagikannya."),
    ("bijak-medsos", "Bijak bermedia sosial",
     "Mengajak warga menggunakan media sosial secara bijak, santun, dan tidak memuat "
     "provokasi atau SARA."),
    ("netralitas", "Menjaga netralitas penyelenggara dan aparatur",
     "Mengingatkan penyelenggara pemilu, ASN, perangkat desa, dan anggota TNI-Polri untuk "
     "menjaga netralitas dan tidak berpihak kepada peserta pemilu mana pun."),
    ("tertib-tps", "Menjaga ketertiban di TPS",
     "Mengimbau warga datang ke TPS dengan tertib, mengikuti arahan KPPS, dan tidak membawa "
     "atribut kampanye atau benda berbahaya."),
    ("gunakan-hak-pilih", "Menggunakan hak pilih",
     "Mengajak warga yang terdaftar untuk datang ke TPS dan menggunakan hak pilihnya secara "
     "langsung, umum, bebas, rahasia, jujur, dan adil."),
    ("jangan-terprovokasi", "Tidak mudah terprovokasi",
     "Mengimbau warga tidak mudah terpancing provokasi, menghormati perbedaan pilihan, dan "
     "menjaga persatuan serta kerukunan antarwarga."),
    ("kampanye-damai", "Kampanye damai sesuai aturan",
     "Mengingatkan peserta dan tim kampanye untuk berkampanye secara damai, tertib, dan sesuai "
     "jadwal serta lokasi yang ditetapkan."),
    ("amankan-logistik", "Mengamankan logistik pemilu",
     "Mengajak penyelenggara dan warga bersama-sama menjaga keamanan logistik pemilu sejak "
     "diterima hingga penghitungan suara selesai."),
    ("siskamling", "Menghidupkan siskamling",
     "Mengajak warga mengaktifkan kembali sistem keamanan lingkungan (siskamling) dan ronda "
     "malam, terutama menjelang hari pemungutan suara."),
    ("lapor-110", "Segera melapor bila ada gangguan",
     "Mengimbau warga segera melaporkan setiap gangguan kamtibmas kepada Polsek terdekat, "
     "Bhabinkamtibmas, atau layanan darurat Polri 110."),
    ("jauhi-narkoba", "Menjauhi narkoba",
     "Mengajak warga, khususnya generasi muda, menjauhi penyalahgunaan narkoba dan "
     "melaporkan peredarannya."),
]


def load(apps, schema_editor):
    Appeal = apps.get_model("patrols", "Appeal")
    for order, (code, title, text) in enumerate(APPEALS, start=1):
        Appeal.objects.update_or_create(
            code=code, defaults={"title": title, "text": text, "order": order * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("patrols", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
